using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

/// <summary><see cref="AccumulatorPool"/> and the sums that rent from it: reused memory, the same results.</summary>
public class AccumulatorPoolTests
{
    private static float[] Values(int seed, int length)
    {
        var rng = new Random(seed);
        var values = new float[length];
        for (var i = 0; i < length; i++) values[i] = (float)(rng.NextDouble() - 0.5);
        return values;
    }

    private static float[] Round(WeightedSliceSums sums, int clients)
    {
        for (var k = 0; k < clients; k++)
            for (var s = 0; s < sums.SliceCount; s++)
                sums.Fold(s, Values(100 * k + s, sums.SliceLength(s)), 1 + k);
        var mean = new float[sums.ParameterCount];
        sums.WriteMean(mean);
        return mean;
    }

    [Fact]
    public void A_returned_array_comes_back_zeroed_for_the_same_length_only()
    {
        var pool = new AccumulatorPool(1 << 20);
        var array = pool.Rent(1000);
        array.AsSpan().Fill(-7);
        pool.Return(array);

        Assert.Equal(8000, pool.RetainedBytes);
        Assert.NotSame(array, pool.Rent(999));
        var again = pool.Rent(1000);
        Assert.Same(array, again);
        Assert.All(again, value => Assert.Equal(0, value));
        Assert.Equal(0, pool.RetainedBytes);
    }

    [Fact]
    public void The_pool_keeps_no_more_than_its_capacity()
    {
        var pool = new AccumulatorPool(3 * 800);
        var arrays = Enumerable.Range(0, 5).Select(_ => pool.Rent(100)).ToArray();
        foreach (var array in arrays) pool.Return(array);

        Assert.Equal(2400, pool.RetainedBytes);
        pool.Clear();
        Assert.Equal(0, pool.RetainedBytes);
    }

    [Fact]
    public void A_round_on_released_accumulators_gives_the_same_mean_bit_for_bit_as_on_fresh_ones()
    {
        var pool = new AccumulatorPool(1 << 20);
        var first = new WeightedSliceSums(1000, 300, WeightedSliceSums.DefaultFractionBits, pool);
        var firstMean = Round(first, 5);
        first.Release();
        Assert.Equal(1000 * sizeof(long), pool.RetainedBytes); // three slices of 300 and one of 100

        var reused = new WeightedSliceSums(1000, 300, WeightedSliceSums.DefaultFractionBits, pool);
        var reusedMean = Round(reused, 5);
        var fresh = Round(new WeightedSliceSums(1000, 300), 5);

        Assert.Equal(0, pool.RetainedBytes);
        Assert.Equal(fresh, reusedMean);
        Assert.Equal(fresh, firstMean);
    }

    [Fact]
    public void Released_sums_refuse_further_use()
    {
        var sums = new WeightedSliceSums(10, 10, WeightedSliceSums.DefaultFractionBits, new AccumulatorPool(1 << 10));
        sums.Fold(0, Values(1, 10), 1);
        sums.Release();
        sums.Release(); // twice changes nothing

        Assert.Throws<InvalidOperationException>(() => sums.Fold(0, Values(2, 10), 1));
        Assert.Throws<InvalidOperationException>(() => sums.WriteMean(new float[10]));
    }

    [Fact]
    public void Taking_back_a_slice_s_only_fold_returns_its_accumulator()
    {
        var pool = new AccumulatorPool(1 << 10);
        var sums = new WeightedSliceSums(10, 10, WeightedSliceSums.DefaultFractionBits, pool);
        var values = Values(3, 10);
        sums.Fold(0, values, 2);
        Assert.Equal(0, pool.RetainedBytes);

        sums.Unfold(0, values, 2);

        Assert.Equal(80, pool.RetainedBytes);
        Assert.Equal(0, sums.FoldedSlices);
    }

    [Fact]
    public void A_refused_first_group_returns_the_accumulator_it_rented()
    {
        var pool = new AccumulatorPool(1 << 10);
        var sums = new WeightedSliceSums(10, 10, WeightedSliceSums.DefaultFractionBits, pool);
        var bad = Values(4, 10);
        bad[3] = float.NaN;

        Assert.Throws<ArgumentException>(() => sums.FoldMany(0, [Values(5, 10), bad], [1.0, 1.0]));

        Assert.Equal(80, pool.RetainedBytes);
        Assert.Equal(0, sums.FoldedSlices);
    }
}
