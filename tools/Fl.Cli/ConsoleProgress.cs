using FlMicroservices.Simulation;
using Spectre.Console;

namespace FlMicroservices.Cli;

/// <summary>Draws a simulation's progress: one bar for the run, one per round filling as updates arrive.</summary>
public sealed class ConsoleProgress(ProgressContext context, int rounds) : ISimulationProgress
{
    private readonly ProgressTask _overall = context.AddTask("[bold]rounds[/]", maxValue: rounds);
    private readonly Dictionary<int, ProgressTask> _rounds = new();

    public void DataLoaded(string description, int clients) =>
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(description)}[/]");

    private ProgressTask? _registering;

    public void Registering(int registered, int clients)
    {
        _registering ??= context.AddTask("registering clients", maxValue: clients);
        _registering.Value = registered;
    }

    public void Registered(int clients, double seconds)
    {
        if (_registering is null) return;
        _registering.Value = clients;
        _registering.Description = $"{clients} clients registered in {seconds:F1} s";
        _registering.StopTask();
    }

    public void RoundStarted(int round, int participants)
    {
        _rounds[round] = context.AddTask($"round {round}: 0/{participants} updates", maxValue: Math.Max(1, participants));
    }

    public void UpdateReceived(int round, int received, int participants)
    {
        if (!_rounds.TryGetValue(round, out var task)) return;
        task.Value = received;
        task.Description = $"round {round}: {received}/{participants} updates";
    }

    public void RoundCompleted(RoundMetrics metrics)
    {
        if (_rounds.Remove(metrics.Round, out var task))
        {
            task.Value = task.MaxValue;
            task.StopTask();
        }
        _overall.Increment(1);
        _overall.Description = $"[bold]rounds[/] (round {metrics.Round}: accuracy {Commands.SimulateCommand.Format(metrics.Accuracy)})";
    }

    public void Finish()
    {
        _overall.Value = _overall.MaxValue;
        _overall.StopTask();
    }
}
