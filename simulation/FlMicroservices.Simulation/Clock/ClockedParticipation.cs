using FlMicroservices.Contracts.V1;
using FlMicroservices.Node;

namespace FlMicroservices.Simulation.Clock;

/// <summary>
/// The node's participation under the simulated clock: a selected client starts only inside its availability window and
/// unless it fails; it sends only when its download, training and upload end before the round's deadline (docs/simulated-clock.md).
/// </summary>
public sealed class ClockedParticipation(SimulatedClock clock, IReadOnlyDictionary<string, DeviceProfile> profiles, double deadlineSeconds,
    IParticipationGate inner) : IParticipationGate
{
    private readonly object _gate = new();
    private readonly Dictionary<int, (double Start, int Unavailable, int Failed)> _open = [];

    public IReadOnlyList<HostedClient> Admit(RoundStarted round, IReadOnlyList<HostedClient> selected)
    {
        ArgumentNullException.ThrowIfNull(round);
        var start = clock.Now;
        var candidates = inner.Admit(round, selected);
        var unavailable = 0;
        var failed = 0;
        var admitted = new List<HostedClient>();
        foreach (var client in candidates)
        {
            var profile = ProfileOf(client);
            if (profile.Window is { } window && !window.Covers(start, start))
                unavailable++;
            else if (new Random(ClientSeeds.For(round.Seed, round.Round, client.ClientId + "/failure")).NextDouble() < profile.FailureProbability)
                failed++;
            else
                admitted.Add(client);
        }
        // Clients the inner gate dropped count as failures too: they were selected and sent nothing.
        lock (_gate) _open[round.Round] = (start, unavailable, failed + selected.Count - candidates.Count);
        return admitted;
    }

    public IReadOnlyList<bool> Submit(RoundStarted round, IReadOnlyList<HostedClient> selected, IReadOnlyList<HostedClient> admitted,
        IReadOnlyList<long> samplesProcessed, int modelValues)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(selected);
        ArgumentNullException.ThrowIfNull(admitted);
        ArgumentNullException.ThrowIfNull(samplesProcessed);
        (double Start, int Unavailable, int Failed) open;
        lock (_gate)
        {
            if (!_open.Remove(round.Round, out open)) open = (clock.Now, 0, 0);
        }
        var bytes = (long)modelValues * sizeof(float); // float32 both ways
        var sends = new bool[admitted.Count];
        var slowest = 0.0;
        var late = 0;
        for (var i = 0; i < admitted.Count; i++)
        {
            var profile = ProfileOf(admitted[i]);
            var seconds = profile.RoundSeconds(samplesProcessed[i], bytes, bytes, clock.ReferenceSamplesPerSecond);
            // In time, and (for a client with a window) still inside the window when the upload ends.
            sends[i] = seconds <= deadlineSeconds && (profile.Window is not { } window || window.Covers(open.Start, open.Start + seconds));
            if (sends[i]) slowest = Math.Max(slowest, seconds);
            else late++;
        }
        var sent = sends.Count(s => s);
        // A synchronous round waits for every selected client: until the last update, or until the deadline when one never comes.
        var duration = sent == selected.Count ? slowest : deadlineSeconds;
        clock.Complete(new SimulatedRound(round.Round, open.Start, duration, admitted.Count * bytes, sent * bytes, open.Unavailable, open.Failed, late));
        return sends;
    }

    private DeviceProfile ProfileOf(HostedClient client) =>
        profiles.TryGetValue(client.ClientId, out var profile) ? profile : throw new InvalidOperationException($"Client {client.ClientId} has no device profile.");
}
