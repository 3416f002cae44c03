using System.Text.Json;
using FlMicroservices.Dashboard.Components.Shared;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Dashboard;

/// <summary>The `fl simulate` output folders under Dashboard:RunsDirectory, read from their metrics.jsonl.</summary>
public sealed class RunFolders(IOptions<DashboardOptions> options)
{
    /// <summary>Names of the subfolders (and the folder itself) that hold a metrics.jsonl, newest first.</summary>
    public IReadOnlyList<string> List()
    {
        if (options.Value.RunsDirectory is not { Length: > 0 } root || !Directory.Exists(root)) return [];
        var folders = new List<(string Name, DateTime Written)>();
        if (File.Exists(Path.Combine(root, "metrics.jsonl"))) folders.Add((".", File.GetLastWriteTimeUtc(Path.Combine(root, "metrics.jsonl"))));
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            var metrics = Path.Combine(dir, "metrics.jsonl");
            if (File.Exists(metrics)) folders.Add((Path.GetFileName(dir), File.GetLastWriteTimeUtc(metrics)));
        }
        return [.. folders.OrderByDescending(f => f.Written).Select(f => f.Name)];
    }

    /// <summary>The run's accuracy and loss per round; null when <paramref name="name"/> is not one of <see cref="List"/>.</summary>
    public RunCurves? Read(string name)
    {
        if (!List().Contains(name)) return null; // only listed folders: the name never reaches the file system unchecked
        var accuracy = new List<ChartPoint>();
        var loss = new List<ChartPoint>();
        foreach (var line in File.ReadLines(Path.Combine(options.Value.RunsDirectory!, name, "metrics.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var row = JsonDocument.Parse(line);
                var root = row.RootElement;
                if (!root.TryGetProperty("round", out var round)) continue;
                if (root.TryGetProperty("accuracy", out var a) && a.ValueKind == JsonValueKind.Number) accuracy.Add(new(round.GetInt32(), a.GetDouble()));
                if (root.TryGetProperty("loss", out var l) && l.ValueKind == JsonValueKind.Number) loss.Add(new(round.GetInt32(), l.GetDouble()));
            }
            catch (JsonException) { } // a line cut short by a run still writing
        }
        return new RunCurves(name == "." ? Path.GetFileName(Path.GetFullPath(options.Value.RunsDirectory!)) : name, accuracy, loss);
    }
}

/// <summary>A run's curves by round.</summary>
public sealed record RunCurves(string Name, IReadOnlyList<ChartPoint> Accuracy, IReadOnlyList<ChartPoint> Loss);
