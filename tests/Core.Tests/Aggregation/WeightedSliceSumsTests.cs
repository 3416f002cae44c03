using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

public class WeightedSliceSumsTests
{
    private static float[] Mean(WeightedSliceSums sums)
    {
        var mean = new float[sums.ParameterCount];
        sums.WriteMean(mean);
        return mean;
    }

    private static float[] FoldAll(int parameters, int sliceElements, IReadOnlyList<(float[] Values, double Weight)> updates,
        IEnumerable<(int Update, int Slice)> order, int fractionBits = WeightedSliceSums.DefaultFractionBits)
    {
        var sums = new WeightedSliceSums(parameters, sliceElements, fractionBits);
        foreach (var (u, s) in order)
            sums.Fold(s, updates[u].Values.AsSpan(s * sliceElements, sums.SliceLength(s)), updates[u].Weight);
        return Mean(sums);
    }

    private static List<(int, int)> AllFolds(int updates, int slices)
    {
        var folds = new List<(int, int)>();
        for (var u = 0; u < updates; u++)
            for (var s = 0; s < slices; s++) folds.Add((u, s));
        return folds;
    }

    [Fact]
    public void The_mean_is_bit_for_bit_the_same_whatever_the_fold_order()
    {
        var rng = new Random(42);
        for (var trial = 0; trial < 20; trial++)
        {
            var parameters = rng.Next(1, 300);
            var sliceElements = rng.Next(1, 70);
            var slices = (parameters + sliceElements - 1) / sliceElements;
            var updates = new List<(float[], double)>();
            foreach (var (_, delta, weight) in LinearRounds.RandomUpdates(rng, rng.Next(2, 8), parameters)) updates.Add((delta, weight));
            var folds = AllFolds(updates.Count, slices);

            var reference = LinearRounds.Bits(FoldAll(parameters, sliceElements, updates, folds));
            for (var permutation = 0; permutation < 5; permutation++)
                Assert.Equal(reference, LinearRounds.Bits(FoldAll(parameters, sliceElements, updates, LinearRounds.Shuffled(folds, rng))));
        }
    }

    [Fact]
    public void The_mean_is_within_the_documented_bound_of_the_exact_weighted_mean()
    {
        // Each term is rounded to 2^-32 once, so the mean is off by at most n * 2^-33 / W before its rounding to float.
        var rng = new Random(9);
        var updates = LinearRounds.RandomUpdates(rng, 6, 500);
        var sums = new WeightedSliceSums(500, 64);
        var totalWeight = 0.0;
        foreach (var (_, delta, weight) in updates)
        {
            for (var s = 0; s < sums.SliceCount; s++) sums.Fold(s, delta.AsSpan(s * 64, sums.SliceLength(s)), weight);
            totalWeight += weight;
        }
        var mean = Mean(sums);

        for (var i = 0; i < 500; i++)
        {
            var exact = 0m;
            foreach (var (_, delta, weight) in updates) exact += (decimal)(double)delta[i] * (decimal)weight;
            var expected = (double)(exact / (decimal)totalWeight);
            var bound = 1.01 * (updates.Length * Math.ScaleB(1, -33) / totalWeight + Math.Abs(expected) * Math.ScaleB(1, -24));
            Assert.True(Math.Abs(mean[i] - expected) <= bound, $"element {i}: {mean[i]:R} vs {expected:R}");
        }
    }

    [Fact]
    public void Identical_values_on_the_grid_average_to_themselves_exactly()
    {
        // Values of magnitude at least 2^-9 are multiples of 2^-32, so weight * value * 2^32 is an integer: no rounding at all.
        float[] values = [0.5f, -3.25f, 1000.125f, 0.0029f, -0.1f, 7f, 0f, -0f, 0.002f];
        var sums = new WeightedSliceSums(values.Length, 4);
        foreach (var weight in new double[] { 1, 17, 600, 123_456 })
            for (var s = 0; s < sums.SliceCount; s++) sums.Fold(s, values.AsSpan(s * 4, sums.SliceLength(s)), weight);

        var mean = Mean(sums);

        Assert.Equal(LinearRounds.Bits([0.5f, -3.25f, 1000.125f, 0.0029f, -0.1f, 7f, 0f, 0f, 0.002f]), LinearRounds.Bits(mean)); // -0 sums to +0
    }

    [Fact]
    public void Large_terms_take_an_exact_path_that_agrees_with_the_fast_one()
    {
        // weight 2^25 times values near 1 exceeds 2^51 / 2^32 = 2^19, so that fold goes through the scalar path.
        float[] values = [1f, -0.75f, 0.3f, 2.5f, -1e-4f, 0.123456f, 3f, -2f, 0.5f];
        var fastOnly = new WeightedSliceSums(values.Length, values.Length);
        fastOnly.Fold(0, values, 3);
        fastOnly.Fold(0, values, 5);
        var mixed = new WeightedSliceSums(values.Length, values.Length);
        mixed.Fold(0, values, 33_554_432);
        mixed.Fold(0, values, 3);

        var a = Mean(fastOnly);
        var b = Mean(mixed);

        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(values[i], a[i], Math.Abs(values[i]) * 1e-6f + 1e-9f);
            Assert.Equal(values[i], b[i], Math.Abs(values[i]) * 1e-6f + 1e-9f);
        }
        // Order still does not matter when one path is the scalar one.
        var reversed = new WeightedSliceSums(values.Length, values.Length);
        reversed.Fold(0, values, 3);
        reversed.Fold(0, values, 33_554_432);
        Assert.Equal(LinearRounds.Bits(b), LinearRounds.Bits(Mean(reversed)));
    }

    [Fact]
    public void Weight_totals_are_exact_sums_of_whole_weights()
    {
        var sums = new WeightedSliceSums(3, 2);
        sums.Fold(0, [1f, 1f], 3);
        sums.Fold(0, [1f, 1f], WeightedSliceSums.MaxWeight);
        sums.Fold(1, [1f], 5);

        Assert.Equal(3 + WeightedSliceSums.MaxWeight, sums.WeightOf(0));
        Assert.Equal(5, sums.WeightOf(1));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.5)]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(536_870_913)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_weight_that_is_not_a_whole_example_count_in_range_is_refused(double weight)
    {
        var sums = new WeightedSliceSums(2, 2);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => sums.Fold(0, [1f, 2f], weight));

        Assert.Equal("weight", error.ParamName);
        Assert.False(WeightedSliceSums.IsValidWeight(weight));
        Assert.Equal(0, sums.FoldedSlices);
    }

    [Fact]
    public void Values_that_are_not_finite_are_refused()
    {
        var sums = new WeightedSliceSums(2, 2);

        Assert.Throws<ArgumentException>(() => sums.Fold(0, [1f, float.NaN], 1));
        Assert.Throws<ArgumentException>(() => sums.Fold(0, [float.NegativeInfinity, 1f], 1));
        Assert.Equal(0, sums.FoldedSlices);
    }

    [Fact]
    public void Overflow_is_reported_and_nothing_is_folded_instead_of_wrapping()
    {
        // k = 32: one slice holds |sum| < 2^63, so the sum of weight * max|value| must stay below 2^31 = 2.147e9.
        var sums = new WeightedSliceSums(2, 2);
        sums.Fold(0, [1e9f, -1e9f], 1);
        sums.Fold(0, [1e9f, 5f], 1);

        var error = Assert.Throws<OverflowException>(() => sums.Fold(0, [0.5e9f, 1f], 1));

        Assert.Contains("range", error.Message);
        Assert.Equal(2, sums.FoldedSlices);
        Assert.Equal(2, sums.WeightOf(0));
        Assert.Equal([1e9f, (-1e9f + 5f) / 2], Mean(sums)); // untouched by the refused fold
    }

    [Fact]
    public void A_single_term_beyond_the_range_is_refused()
    {
        var sums = new WeightedSliceSums(1, 1);

        Assert.Throws<OverflowException>(() => sums.Fold(0, [3e9f], 1)); // 3e9 * 2^32 > 2^63
        Assert.Throws<OverflowException>(() => sums.Fold(0, [1000f], WeightedSliceSums.MaxWeight)); // 2^29 * 1000 > 2^31
        Assert.Throws<OverflowException>(() => sums.Fold(0, [float.MaxValue], 1));
        Assert.Equal(0, sums.FoldedSlices);
    }

    [Fact]
    public void Whether_a_round_overflows_does_not_depend_on_the_order()
    {
        // Three folds of bound ceil(1e9 * 2^32) each: any two fit below 2^63, all three do not. Whatever the order,
        // the first two succeed and the third is refused.
        float[][] slices = [[1e9f], [-1e9f], [1e9f]];
        int[][] orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        foreach (var order in orders)
        {
            var sums = new WeightedSliceSums(1, 1);
            sums.Fold(0, slices[order[0]], 1);
            sums.Fold(0, slices[order[1]], 1);
            Assert.Throws<OverflowException>(() => sums.Fold(0, slices[order[2]], 1));
        }
    }

    [Fact]
    public void Fewer_fraction_bits_buy_range()
    {
        var narrow = new WeightedSliceSums(1, 1, fractionBits: 60); // |sum| < 2^3
        narrow.Fold(0, [5f], 1);
        Assert.Throws<OverflowException>(() => narrow.Fold(0, [5f], 1));

        var wide = new WeightedSliceSums(1, 1, fractionBits: 0); // integers, |sum| < 2^63
        wide.Fold(0, [3e18f], 1);
        wide.Fold(0, [3e18f], 1);
        var mean = new float[1];
        wide.WriteMean(mean);
        Assert.Equal(3e18f, mean[0]);
        Assert.Equal(0, wide.FractionBits);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(63)]
    public void Fraction_bits_outside_0_to_62_are_refused(int bits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightedSliceSums(4, 2, bits));

    [Fact]
    public void Long_slices_use_every_vector_width_and_stay_order_invariant()
    {
        // 1,000 elements: vector bodies of every width plus scalar tails, with fast- and scalar-path folds mixed.
        var rng = new Random(17);
        var updates = new List<(float[], double)>();
        foreach (var (_, delta, weight) in LinearRounds.RandomUpdates(rng, 5, 1_000)) updates.Add((delta, weight));
        updates.Add((updates[0].Item1, 1_000_000)); // 1e6 * 10 > 2^19: the scalar path
        var folds = AllFolds(updates.Count, 1);

        var reference = FoldAll(1_000, 1_000, updates, folds);

        for (var permutation = 0; permutation < 5; permutation++)
            Assert.Equal(LinearRounds.Bits(reference), LinearRounds.Bits(FoldAll(1_000, 1_000, updates, LinearRounds.Shuffled(folds, rng))));
        // And slicing it differently changes nothing either: each element's sum is the same integer.
        Assert.Equal(LinearRounds.Bits(reference), LinearRounds.Bits(FoldAll(1_000, 33, updates, AllFolds(updates.Count, 31))));
    }
}
