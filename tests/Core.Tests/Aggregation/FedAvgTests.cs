using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

public class FedAvgTests
{
    [Fact]
    public void Weighted_mean_weights_each_update_by_its_example_count()
    {
        var mean = FedAvg.WeightedMean([([1f, 2f], 1), ([3f, 4f], 3)]);

        Assert.Equal([2.5f, 3.5f], mean);
    }

    [Fact]
    public void Equal_weights_give_the_plain_mean()
    {
        var mean = FedAvg.WeightedMean([([0f, -6f, 1f], 600), ([4f, 6f, 2f], 600)]);

        Assert.Equal([2f, 0f, 1.5f], mean);
    }

    [Fact]
    public void A_single_client_moves_the_global_model_by_exactly_its_delta()
    {
        var round = new FedAvg().BeginRound(3, 2);
        round.Fold("c", 0, [0.5f, -1f], 42);
        round.Fold("c", 1, [0.25f], 42);
        var result = new float[3];

        round.Finish([1f, 1f, 1f], result);

        Assert.Equal([1.5f, 0f, 1.25f], result);
    }

    [Fact]
    public void An_empty_round_is_rejected_with_a_clear_error()
    {
        var round = new FedAvg().BeginRound(4, 2);

        var error = Assert.Throws<InvalidOperationException>(() => round.Finish(new float[4], new float[4]));
        Assert.Contains("no update", error.Message);
        Assert.Throws<InvalidOperationException>(() => FedAvg.WeightedMean([]));
    }

    [Fact]
    public void Sliced_folding_equals_the_all_at_once_mean()
    {
        var rng = new Random(7);
        var updates = Enumerable.Range(0, 5)
            .Select(_ => (Update: Enumerable.Range(0, 10).Select(_ => (float)rng.NextDouble()).ToArray(), Weight: (double)rng.Next(1, 100)))
            .ToList();
        var round = new FedAvg().BeginRound(10, 4);
        foreach (var (update, weight) in updates)
        {
            round.Fold("c", 2, update.AsSpan(8, 2), weight);
            round.Fold("c", 0, update.AsSpan(0, 4), weight);
            round.Fold("c", 1, update.AsSpan(4, 4), weight);
        }
        var streamed = new float[10];
        round.Finish(new float[10], streamed);

        var direct = FedAvg.WeightedMean(updates);
        for (var i = 0; i < 10; i++) Assert.Equal(direct[i], streamed[i], 5);
    }

    [Fact]
    public void Folding_a_slice_of_the_wrong_length_or_weight_is_refused()
    {
        var round = new FedAvg().BeginRound(5, 4);

        Assert.Throws<ArgumentException>(() => round.Fold("c", 1, [1f, 2f], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => round.Fold("c", 0, [1f, 2f, 3f, 4f], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => round.Fold("c", 0, [1f, 2f, 3f, 4f], double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => round.Fold("c", 2, [1f], 1));
        Assert.Equal(0, round.FoldedSlices);
    }

    [Fact]
    public void A_slice_nobody_delivered_leaves_its_parameters_unchanged()
    {
        var round = new FedAvg().BeginRound(4, 2);
        round.Fold("c", 0, [2f, 2f], 1);
        var result = new float[4];

        round.Finish([1f, 1f, 1f, 1f], result);

        Assert.Equal([3f, 3f, 1f, 1f], result);
    }
}
