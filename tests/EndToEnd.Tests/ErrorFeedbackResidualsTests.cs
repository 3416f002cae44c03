using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Node;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>Top-k error-feedback residuals kept in the node's state store across a restart (docs/compression.md).</summary>
public sealed class ErrorFeedbackResidualsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fl-residuals-" + Guid.NewGuid().ToString("N"));

    public ErrorFeedbackResidualsTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static RoundStarted Round(int round) =>
        new RoundStarted("topk-task", round, round - 1, ["c1"], DateTimeOffset.MaxValue, new TrainingConfig(1, 10, 0.1), PrivacyConfig.None,
            256, "logreg", "fedavg", new Dictionary<string, string>(), 0.5, 9) with { Settings = new RoundSettings(Compression: "topk:0.05") };

    private static float[] Update(int round) => [.. Enumerable.Range(0, 600).Select(i => MathF.Sin(i * 0.37f + round) * (1 + i % 7))];

    [Fact]
    public async Task A_restarted_node_sends_exactly_what_one_that_kept_running_sends()
    {
        // One process for three rounds ...
        var running = new UpdateCompression(new ErrorFeedbackResiduals(new SqliteStateStore(Path.Combine(_folder, "running.db"))));
        var expected = new List<string>();
        for (var round = 1; round <= 3; round++) expected.Add((await running.SliceAsync(Round(round), "c1", Update(round), 10, CancellationToken.None)).Digest);

        // ... and one restarted (a new process over the same store) before every round.
        var restarted = new List<string>();
        for (var round = 1; round <= 3; round++)
        {
            var fresh = new UpdateCompression(new ErrorFeedbackResiduals(new SqliteStateStore(Path.Combine(_folder, "restarted.db"))));
            restarted.Add((await fresh.SliceAsync(Round(round), "c1", Update(round), 10, CancellationToken.None)).Digest);
        }

        Assert.Equal(expected, restarted);
        // Without the kept residual round 2 would differ: a node that forgot it sends another update.
        var forgetful = new UpdateCompression(new ErrorFeedbackResiduals(new SqliteStateStore(Path.Combine(_folder, "forgetful.db"))));
        Assert.NotEqual(expected[1], (await forgetful.SliceAsync(Round(2), "c1", Update(2), 10, CancellationToken.None)).Digest);
    }

    [Fact]
    public async Task The_kept_residual_is_what_the_client_has_not_sent()
    {
        var store = new SqliteStateStore(Path.Combine(_folder, "node.db"));
        await new UpdateCompression(new ErrorFeedbackResiduals(store)).SliceAsync(Round(1), "c1", Update(1), 10, CancellationToken.None);

        var kept = await new ErrorFeedbackResiduals(store).ForAsync("topk-task", "c1", CancellationToken.None);

        // Top-5 % of each 256-value slice is sent: 13 + 13 + 5 of 600 values; the residual holds the other 569 unchanged.
        var update = Update(1);
        var residual = kept.Residual.ToArray();
        Assert.Equal(600, residual.Length);
        Assert.Equal(569, residual.Count(v => v != 0));
        Assert.All(Enumerable.Range(0, 600).Where(i => residual[i] != 0), i => Assert.Equal(update[i], residual[i]));
        Assert.Equal(0, (await new ErrorFeedbackResiduals(store).ForAsync("other-task", "c1", CancellationToken.None)).Residual.Length);
    }

    [Fact]
    public async Task A_damaged_residual_is_refused_naming_the_client_and_task()
    {
        var store = new SqliteStateStore(Path.Combine(_folder, "node.db"));
        await store.PutAsync("error-feedback", "topk-task/c1", new { TaskId = "topk-task", ClientId = "c1", Residual = "not base64!" }, CancellationToken.None);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => new ErrorFeedbackResiduals(store).ForAsync("topk-task", "c1", CancellationToken.None));

        Assert.Contains("client c1 for task topk-task", e.Message);
    }
}
