namespace FlMicroservices.Simulation;

/// <summary>Receives a simulation's progress (the CLI draws it; tests may ignore it).</summary>
public interface ISimulationProgress
{
    void DataLoaded(string description, int clients);
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
