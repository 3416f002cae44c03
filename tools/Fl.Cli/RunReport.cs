using System.Text.Json;
using System.Text.Json.Serialization;
using FlMicroservices.Simulation;
using Spectre.Console;

namespace FlMicroservices.Cli;

/// <summary>Writes a run's summary.json, metrics.jsonl and accuracy.png, and prints its table of round metrics.</summary>
public static class RunReport
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
    private static readonly JsonSerializerOptions JsonLine = new(Json) { WriteIndented = false };

    public static IReadOnlyList<string> Write(string outDir, SimulationResult result)
    {
        Directory.CreateDirectory(outDir);
        var summary = Path.Combine(outDir, "summary.json");
        File.WriteAllText(summary, JsonSerializer.Serialize(result, Json));
        var metrics = Path.Combine(outDir, "metrics.jsonl");
        File.WriteAllLines(metrics, result.PerRound.Select(r => JsonSerializer.Serialize(r, JsonLine)));
        var plot = Path.Combine(outDir, "accuracy.png");
        AccuracyPlot.Save(plot, result);
        return [summary, metrics, plot];
    }

    public static void PrintTable(SimulationResult result)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 120);
        var privacy = result.DpMechanism is not null;
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("round", "clients", "ok", "drop", "rej", "accuracy", "loss", "train loss", "wall s", "overhead");
        if (privacy) table.AddColumn("ε");
        var clocked = result.SimulatedSeconds is not null;
        if (clocked) table.AddColumns("sim s", "late");
        var rows = result.PerRound;
        var step = Math.Max(1, rows.Count / 40);
        foreach (var r in rows.Where((r, i) => i % step == 0 || i == rows.Count - 1))
        {
            var cells = new List<string>
            {
                r.Round.ToString(), r.Participants.ToString(), r.Contributors.ToString(), r.Dropouts.ToString(), r.Rejected.ToString(),
                Commands.SimulateCommand.Format(r.Accuracy) + (r.RolledBack ? " (rolled back)" : ""),
                r.Loss is { } l ? l.ToString("F4") : "n/a", double.IsFinite(r.TrainLoss) ? r.TrainLoss.ToString("F4") : "n/a",
                r.WallSeconds.ToString("F2"), r.OverheadShare.ToString("P0"),
            };
            if (privacy) cells.Add(r.Epsilon is { } e ? e.ToString("G4") : "n/a");
            if (clocked) cells.AddRange([r.SimulatedSeconds is { } s ? s.ToString("F1") : "n/a", r.Late?.ToString() ?? "n/a"]);
            table.AddRow(cells.ToArray());
        }
        if (step > 1) table.Caption($"every {step}th round shown; all rounds are in metrics.jsonl");
        AnsiConsole.Write(table);
    }
}
