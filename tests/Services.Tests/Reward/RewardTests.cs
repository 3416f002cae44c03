using FlMicroservices.Core.Contribution;
using FlMicroservices.Reward;

namespace FlMicroservices.Services.Tests.Reward;

public class DataShareScorerTests
{
    [Fact]
    public void Scores_are_each_contributors_share_of_the_examples_and_sum_to_one()
    {
        var scores = DataShareScorer.Score([100, 300, 600]);

        Assert.Equal(3, scores.Length);
        Assert.Equal(0.1, scores[0], 12);
        Assert.Equal(0.3, scores[1], 12);
        Assert.Equal(0.6, scores[2], 12);
        Assert.Equal(1.0, scores.Sum(), 12);
    }

    [Fact]
    public void Scores_are_proportional_to_example_counts()
    {
        int[] counts = [7, 13, 1, 29, 50];

        var scores = DataShareScorer.Score(counts);

        Assert.Equal(1.0, scores.Sum(), 12);
        for (var i = 0; i < counts.Length; i++)
            Assert.Equal(counts[i] / 100.0, scores[i], 12);
        Assert.Equal(scores[0] / counts[0], scores[3] / counts[3], 12);
    }

    [Fact]
    public void Large_counts_do_not_overflow()
    {
        var scores = DataShareScorer.Score([int.MaxValue, int.MaxValue]);

        Assert.Equal([0.5, 0.5], scores);
    }

    [Fact]
    public void An_empty_or_example_free_round_scores_nothing_and_negatives_are_refused()
    {
        Assert.Empty(DataShareScorer.Score([]));
        Assert.Equal([0.0, 0.0], DataShareScorer.Score([0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataShareScorer.Score([5, -1]));
    }
}

public class TokenLedgerTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_round_is_credited_once_and_a_repeat_returns_the_first_rewards()
    {
        var ledger = new TokenLedger();

        var first = await ledger.PayOnceAsync("task-1", 1, [("a", 0.25, 25m), ("b", 0.75, 75m)], None);
        var again = await ledger.PayOnceAsync("task-1", 1, [("a", 0.5, 50m)], None);
        await ledger.PayOnceAsync("task-2", 1, [("a", 1.0, 10m)], None);

        Assert.Same(first, again);
        Assert.Equal([25m, 75m], first.Select(r => r.Balance));
        Assert.Equal(35m, ledger.BalanceOf("a"));
        Assert.Equal(75m, ledger.BalanceOf("b"));
        Assert.Equal(0m, ledger.BalanceOf("A")); // ids are case-sensitive
        Assert.False(ledger.IsAnnounced("task-1", 1));
        await ledger.MarkAnnouncedAsync("task-1", 1, None);
        Assert.True(ledger.IsAnnounced("task-1", 1));
        Assert.False(ledger.IsAnnounced("task-1", 2));
    }

    [Fact]
    public async Task Concurrent_rounds_are_not_lost()
    {
        var ledger = new TokenLedger();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            for (var round = 1; round <= 100; round++) await ledger.PayOnceAsync($"task-{t}", round, [("a", 1.0, 0.01m)], None);
        })));

        Assert.Equal(8m, ledger.BalanceOf("a"));
    }

    [Fact]
    public async Task Paying_a_round_by_data_share_splits_the_pool_and_accumulates_over_rounds()
    {
        var ledger = new TokenLedger();
        const decimal pool = 100m;
        (string Id, int Examples)[] round1 = [("a", 200), ("b", 600), ("c", 200)];
        (string Id, int Examples)[] round2 = [("a", 500), ("b", 500)];

        foreach (var (round, contributors) in new[] { (1, round1), (2, round2), (1, round1) }) // redelivered round 1 pays nothing
        {
            var scores = DataShareScorer.Score(contributors.Select(c => c.Examples).ToArray());
            await ledger.PayOnceAsync("task-1", round, contributors.Select((c, i) => (c.Id, scores[i], decimal.Round(pool * (decimal)scores[i], 6))).ToArray(), None);
        }

        Assert.Equal(70m, ledger.BalanceOf("a"));
        Assert.Equal(110m, ledger.BalanceOf("b"));
        Assert.Equal(20m, ledger.BalanceOf("c"));
        Assert.Equal(["a", "b", "c"], ledger.Balances().Keys);
    }
}
