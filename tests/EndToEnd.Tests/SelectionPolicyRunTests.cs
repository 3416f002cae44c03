using FlMicroservices.Contracts.V1;
using FlMicroservices.Simulation;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>A task's selection policy reaches the selector: fairness evens out participation where random does not.</summary>
public sealed class SelectionPolicyRunTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-selection-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public async Task Fairness_selects_every_client_once_before_any_twice()
    {
        var counts = await SelectionsAsync("fairness");
        // 3 of 10 a round for 6 rounds = 18 selections: eight clients twice, two once, none left out.
        Assert.Equal(10, counts.Count);
        Assert.InRange(counts.Values.Min(), 1, 2);
        Assert.Equal(2, counts.Values.Max());

        var random = await SelectionsAsync("random"); // the same seed: a plain random draw leaves participation uneven
        Assert.True(random.Count < 10 || random.Values.Max() - random.Values.Min() > 1,
            $"random selection happened to be as even as fairness: {string.Join(", ", random.Select(c => $"{c.Key} {c.Value}"))}");
    }

    private async Task<Dictionary<string, int>> SelectionsAsync(string selection)
    {
        var events = new EventLog();
        var options = new SimulationOptions
        {
            Dataset = "synthetic", Clients = 10, Fraction = 0.3, Rounds = 6, LocalEpochs = 1, Seed = 2, Parallelism = 2,
            OutDir = Path.Combine(_out, selection), Selection = selection,
        };
        var result = await SimulationRunner.RunAsync(options, events: events);
        Assert.Equal(6, result.Rounds);
        return events.All.Select(e => e.Message).OfType<RoundStarted>().Where(r => r.TaskId == result.TaskId)
            .SelectMany(r => r.Participants).GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
    }
}
