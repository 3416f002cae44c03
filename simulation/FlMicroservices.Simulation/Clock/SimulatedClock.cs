namespace FlMicroservices.Simulation.Clock;

/// <summary>The simulation's virtual time: each round advances it by what its clients would have taken (docs/simulated-clock.md).</summary>
public sealed class SimulatedClock
{
    /// <summary>Examples per second the reference device (speed 1) trains on: about this machine's rate for MNIST 2NN on one core.</summary>
    public const double DefaultReferenceSamplesPerSecond = 10_000;

    private readonly object _gate = new();
    private readonly Dictionary<int, SimulatedRound> _rounds = [];
    private double _now;

    /// <summary>A clock at 0 whose reference device trains <paramref name="referenceSamplesPerSecond"/> examples a second.</summary>
    public SimulatedClock(double referenceSamplesPerSecond = DefaultReferenceSamplesPerSecond)
    {
        if (!(referenceSamplesPerSecond > 0) || !double.IsFinite(referenceSamplesPerSecond))
            throw new ArgumentOutOfRangeException(nameof(referenceSamplesPerSecond), referenceSamplesPerSecond, "must be a finite rate greater than 0");
        ReferenceSamplesPerSecond = referenceSamplesPerSecond;
    }

    public double ReferenceSamplesPerSecond { get; }

    /// <summary>Simulated seconds since the task's first round started.</summary>
    public double Now
    {
        get { lock (_gate) return _now; }
    }

    /// <summary>Records a finished round and moves the clock to its end; a round recorded again (a redelivered RoundStarted) changes nothing.</summary>
    public void Complete(SimulatedRound round)
    {
        ArgumentNullException.ThrowIfNull(round);
        lock (_gate)
        {
            if (!_rounds.TryAdd(round.Round, round)) return;
            _now = Math.Max(_now, round.End);
        }
    }

    /// <summary>The round's record, once its clients have all finished or given up.</summary>
    public SimulatedRound? Round(int round)
    {
        lock (_gate) return _rounds.GetValueOrDefault(round);
    }
}

/// <summary>One round in simulated time: when it started, how long the server waited, what crossed the network.</summary>
/// <param name="Round">The round.</param>
/// <param name="Start">Simulated second it started.</param>
/// <param name="Seconds">How long it lasted: until the last selected client's update arrived, or the deadline when one never came.</param>
/// <param name="BytesDown">Model bytes the clients that started downloaded.</param>
/// <param name="BytesUp">Update bytes that arrived.</param>
/// <param name="Unavailable">Selected clients outside their availability window.</param>
/// <param name="Failed">Clients that started and failed.</param>
/// <param name="Late">Clients that trained but would have finished after the deadline, or after their availability window closed.</param>
public sealed record SimulatedRound(int Round, double Start, double Seconds, long BytesDown, long BytesUp, int Unavailable, int Failed, int Late)
{
    public double End => Start + Seconds;
}
