namespace FlMicroservices.Simulation.Async;

/// <summary>One client's download, training and upload in an async simulation, from the version it started on to when its update arrives.</summary>
/// <param name="Client">The client's index; -1 for a free slot that found no available client and looks again at <paramref name="End"/>.</param>
/// <param name="Sequence">The run's number, in start order: seeds the client's training and failure draw.</param>
/// <param name="BaseVersion">The model version the client downloaded.</param>
/// <param name="End">Simulated time when the update arrives (or would have).</param>
/// <param name="Outcome">Whether the update arrives.</param>
internal sealed record ClientRun(int Client, long Sequence, int BaseVersion, double Start, double End, RunOutcome Outcome);

/// <summary>How a client's run ends.</summary>
internal enum RunOutcome
{
    Arrives,
    Fails,
    WindowClosed,
    Retry,
}
