namespace FlMicroservices.Simulation;

/// <summary>Receives a simulation's progress (the CLI draws it; tests may ignore it).</summary>
public interface ISimulationProgress
{
    void DataLoaded(string description, int clients);

    /// <summary>Every 10,000 registrations of a large run.</summary>
    void Registering(int registered, int clients) { }

    /// <summary>Every virtual client is registered, after <paramref name="seconds"/>.</summary>
    void Registered(int clients, double seconds) { }

    void RoundStarted(int round, int participants);
    void UpdateReceived(int round, int received, int participants);
    void RoundCompleted(RoundMetrics metrics);
}

/// <summary>Progress that goes nowhere.</summary>
public sealed class NoProgress : ISimulationProgress
{
    public static NoProgress Instance { get; } = new();
    public void DataLoaded(string description, int clients) { }
    public void RoundStarted(int round, int participants) { }
    public void UpdateReceived(int round, int received, int participants) { }
    public void RoundCompleted(RoundMetrics metrics) { }
}
