using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

public class NormBoundingTests
{
    private static double Norm(float[] values)
    {
        var sum = 0.0;
        foreach (var v in values) sum += (double)v * v;
        return Math.Sqrt(sum);
    }

    [Fact]
    public void A_large_update_is_scaled_to_exactly_the_bound()
    {
        var strategy = new NormBounding(new FedAvg(), maxNorm: 2.0);
        float[] update = [3f, -4f, 12f, 0f, 0.5f]; // norm sqrt(169.25) = 13.0096

        var moved = LinearRounds.Run(strategy, new float[5], 2, [("a", update, 7)], new Random(1));

        Assert.Equal(2.0, Norm(moved), 1e-5);
        for (var i = 0; i < update.Length; i++) Assert.Equal(update[i] * (float)(2.0 / Math.Sqrt(169.25)), moved[i], 1e-6f);
    }

    [Fact]
    public void A_small_update_is_left_alone_bit_for_bit()
    {
        float[] small = [0.3f, -0.4f, 0.1f]; // norm 0.51
        float[] large = [30f, 40f, 0f]; // norm 50
        var clients = new (string, float[], double)[] { ("s", small, 3), ("l", large, 1) };

        var bounded = LinearRounds.Run(new NormBounding(new FedAvg(), 1.0), new float[3], 2, clients, new Random(4));
        var byHand = LinearRounds.Run(new FedAvg(), new float[3], 2, [("s", small, 3), ("l", Scaled(large, (float)(1.0 / 50)), 1)]);

        Assert.Equal(LinearRounds.Bits(byHand), LinearRounds.Bits(bounded)); // only the update of norm 50 was scaled, by 1/50
        var alone = LinearRounds.Run(new NormBounding(new FedAvg(), 1.0), new float[3], 2, [("s", small, 3)]);
        Assert.Equal(LinearRounds.Bits(small), LinearRounds.Bits(alone));
    }

    [Theory]
    [InlineData("fedavg")]
    [InlineData("fedadam")]
    [InlineData("fedavgm")]
    public void Supplied_norms_and_the_buffering_fallback_give_the_same_bits(string inner)
    {
        var rng = new Random(8);
        const int parameters = 150, sliceElements = 16;
        var supplied = new NormBounding(StrategyFactory.Create(inner), 0.8);
        var buffered = new NormBounding(StrategyFactory.Create(inner), 0.8);
        var suppliedModel = LinearRounds.RandomUpdates(rng, 1, parameters)[0].Delta;
        var bufferedModel = suppliedModel;

        for (var round = 0; round < 2; round++)
        {
            var updates = LinearRounds.RandomUpdates(rng, 4, parameters);
            updates[0].Delta.AsSpan().Clear(); // a zero update, norm 0
            updates[1] = (updates[1].Id, Scaled(updates[1].Delta, 1e-6f), updates[1].Weight); // one below the bound

            // Supplied: every norm known before any slice, so nothing is buffered.
            var direct = supplied.BeginRound(parameters, sliceElements);
            var aware = Assert.IsAssignableFrom<IClientNormAware>(direct);
            foreach (var (id, delta, _) in updates) aware.SetClientNorm(id, NormBounding.L2Norm(delta));
            suppliedModel = Finish(direct, suppliedModel, updates, sliceElements, new Random(round));

            // Fallback: no norms at all; each client is measured once its last slice arrives.
            var fallback = buffered.BeginRound(parameters, sliceElements);
            bufferedModel = Finish(fallback, bufferedModel, updates, sliceElements, new Random(round + 10));

            Assert.Equal(LinearRounds.Bits(bufferedModel), LinearRounds.Bits(suppliedModel));
        }
    }

    [Fact]
    public void A_norm_supplied_after_some_slices_were_buffered_releases_them()
    {
        var rng = new Random(31);
        var updates = LinearRounds.RandomUpdates(rng, 3, 40);
        var expected = LinearRounds.Run(new NormBounding(new FedAvg(), 0.5), new float[40], 8, updates);

        var round = new NormBounding(new FedAvg(), 0.5).BeginRound(40, 8);
        foreach (var (id, delta, weight) in updates)
        {
            round.Fold(id, 3, delta.AsSpan(24, 8), weight);
            round.Fold(id, 0, delta.AsSpan(0, 8), weight);
        }
        Assert.Equal(6, round.FoldedSlices); // buffered slices count as folded
        foreach (var (id, delta, _) in updates) ((IClientNormAware)round).SetClientNorm(id, NormBounding.L2Norm(delta));
        foreach (var (id, delta, weight) in updates)
            foreach (var s in new[] { 4, 1, 2 }) round.Fold(id, s, delta.AsSpan(s * 8, 8), weight);
        var result = new float[40];
        round.Finish(new float[40], result);

        Assert.Equal(LinearRounds.Bits(expected), LinearRounds.Bits(result));
    }

    [Fact]
    public void A_client_that_never_completes_is_bounded_by_what_it_delivered()
    {
        var round = new NormBounding(new FedAvg(), 1.0).BeginRound(4, 2);
        round.Fold("a", 1, [0f, 4f], 1); // slice 0 never comes: the norm of what arrived is 4
        var result = new float[4];

        round.Finish(new float[4], result);

        Assert.Equal([0f, 0f, 0f, 1f], result); // slice 1 scaled by 1/4; slice 0, delivered by nobody, stays
    }

    [Fact]
    public void The_first_norm_that_takes_effect_is_final()
    {
        var round = new NormBounding(new FedAvg(), 1.0).BeginRound(2, 1);
        var aware = (IClientNormAware)round;
        aware.SetClientNorm("a", 100); // replaced before any slice went through
        aware.SetClientNorm("a", 10);
        round.Fold("a", 0, [6f], 1); // scaled by 1/10
        aware.SetClientNorm("a", 1); // too late: ignored
        round.Fold("a", 1, [8f], 1);
        var result = new float[2];

        round.Finish(new float[2], result);

        Assert.Equal(0.6f, result[0], 1e-7f);
        Assert.Equal(0.8f, result[1], 1e-7f);
    }

    [Fact]
    public void L2_norm_is_exact_to_double_precision_and_independent_of_where_the_values_sit()
    {
        var rng = new Random(2);
        var values = LinearRounds.RandomUpdates(rng, 1, 1_003)[0].Delta;
        var shifted = new float[values.Length + 3];
        values.CopyTo(shifted, 3);

        var norm = NormBounding.L2Norm(values);

        Assert.Equal(Norm(values), norm, Norm(values) * 1e-14);
        Assert.Equal(BitConverter.DoubleToInt64Bits(norm), BitConverter.DoubleToInt64Bits(NormBounding.L2Norm(shifted.AsSpan(3))));
        Assert.Equal(0, NormBounding.L2Norm([]));
        Assert.Equal(5, NormBounding.L2Norm([3f, 4f]));
    }

    [Fact]
    public void The_wrapper_takes_the_inner_name_and_checks_its_arguments()
    {
        var strategy = new NormBounding(new FedYogi(), 3);

        Assert.Equal("fedyogi", strategy.Name);
        Assert.IsType<FedYogi>(strategy.Inner);
        Assert.Equal(3, strategy.MaxNorm);
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => new NormBounding(new FedAvg(), 0)).ParamName);
        Assert.Equal("maxNorm", Assert.Throws<ArgumentOutOfRangeException>(() => new NormBounding(new FedAvg(), double.NaN)).ParamName);
        Assert.Throws<ArgumentNullException>(() => new NormBounding(null!, 1));
        var round = (IClientNormAware)strategy.BeginRound(2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => round.SetClientNorm("a", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => round.SetClientNorm("a", double.PositiveInfinity));
    }

    [Fact]
    public void A_duplicate_buffered_slice_is_refused()
    {
        var round = new NormBounding(new FedAvg(), 1).BeginRound(4, 2);
        round.Fold("a", 0, [1f, 1f], 1);

        Assert.Throws<ArgumentException>(() => round.Fold("a", 0, [1f, 1f], 1));
    }

    private static float[] Scaled(float[] values, float factor)
    {
        var scaled = new float[values.Length];
        for (var i = 0; i < values.Length; i++) scaled[i] = values[i] * factor;
        return scaled;
    }

    private static float[] Finish(IRoundAggregator round, float[] global, (string Id, float[] Delta, double Weight)[] updates, int sliceElements, Random rng)
    {
        var slices = (global.Length + sliceElements - 1) / sliceElements;
        var folds = new List<(int, int)>();
        for (var c = 0; c < updates.Length; c++)
            for (var s = 0; s < slices; s++) folds.Add((c, s));
        LinearRounds.Shuffle(folds, rng);
        foreach (var (c, s) in folds)
            round.Fold(updates[c].Id, s, updates[c].Delta.AsSpan(s * sliceElements, Math.Min(sliceElements, global.Length - s * sliceElements)), updates[c].Weight);
        var result = new float[global.Length];
        round.Finish(global, result);
        return result;
    }
}
