using FlMicroservices.Simulation;

namespace FlMicroservices.Cli;

/// <summary>Progress for logs and CI (no interactive terminal): one line per completed round.</summary>
public sealed class LineProgress(int rounds) : ISimulationProgress
{
    public void DataLoaded(string description, int clients) => Console.WriteLine(description);

    public void Registering(int registered, int clients) => Console.WriteLine($"registered {registered} of {clients} clients");

    public void Registered(int clients, double seconds) => Console.WriteLine($"{clients} clients registered in {seconds:F1} s");

    public void RoundStarted(int round, int participants) { }

    public void UpdateReceived(int round, int received, int participants) { }

    public void RoundCompleted(RoundMetrics m) =>
        Console.WriteLine($"round {m.Round}/{rounds}: accuracy {Commands.SimulateCommand.Format(m.Accuracy)}, loss {m.Loss:F4}, " +
            $"{m.Contributors}/{m.Participants} updates, {m.WallSeconds:F2} s{(m.RolledBack ? ", rolled back" : "")}");
}
