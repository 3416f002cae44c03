using FlMicroservices.Contracts.V1;
using FlMicroservices.Simulation;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>A task's compression reaches the nodes and the aggregation: the update bytes shrink, the rounds still aggregate every client.</summary>
public sealed class CompressionRunTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-compression-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public async Task Quantised_and_sparsified_updates_take_fewer_bytes_and_every_client_contributes()
    {
        var plain = await RunAsync("none");
        var q8 = await RunAsync("q8");
        var topk = await RunAsync("topk:0.05");

        // Logistic regression on the synthetic task has 610 parameters: one slice per update, about 80 bytes of header each.
        Assert.All([plain, q8, topk], r => Assert.All(r.PerRound, m => Assert.Equal((4, 0), (m.Contributors, m.Rejected))));
        var bytes = (Plain: plain.PerRound[0].BytesUp!.Value, Q8: q8.PerRound[0].BytesUp!.Value, TopK: topk.PerRound[0].BytesUp!.Value);
        Assert.InRange(bytes.Plain / (double)bytes.Q8, 3.2, 4);
        Assert.InRange(bytes.Plain / (double)bytes.TopK, 8, 20);
        Assert.Equal(q8.PerRound.Count, q8.AccuracyPerRound.Count(a => a is > 0.2));
    }

    private async Task<SimulationResult> RunAsync(string compression)
    {
        var events = new EventLog();
        var options = new SimulationOptions
        {
            Dataset = "synthetic", Clients = 4, Fraction = 1, Rounds = 2, LocalEpochs = 1, Seed = 3, Parallelism = 2,
            OutDir = Path.Combine(_out, compression.Replace(':', '-')), Compression = compression,
        };
        var result = await SimulationRunner.RunAsync(options, events: events);
        Assert.Equal(2, result.Rounds);
        var started = events.All.Select(e => e.Message).OfType<RoundStarted>().First(r => r.TaskId == result.TaskId);
        Assert.Equal(compression == "none" ? null : compression, started.Settings?.Compression);
        return result;
    }
}
