using FlMicroservices.Core.Aggregation.Robust;
using static FlMicroservices.Core.Tests.Aggregation.Robust.RobustRounds;

namespace FlMicroservices.Core.Tests.Aggregation.Robust;

public class TrimmedMeanTests
{
    private static readonly float[][] Five =
    [
        [1f, 10f, -5f, 0f],
        [2f, 20f, 0f, 1f],
        [3f, 30f, 5f, 2f],
        [4f, -100f, 10f, 3f],
        [100f, 40f, 15f, 1000f],
    ];

    [Fact]
    public void Beta_of_a_fifth_drops_the_smallest_and_largest_of_five_values()
    {
        // floor(0.2 x 5) = 1 from each end: {2,3,4} -> 3, {10,20,30} -> 20, {0,5,10} -> 5, {1,2,3} -> 2.
        var result = Run(new TrimmedMean(0.2), Clients(Five), sliceElements: 3, global: [1f, 1f, 1f, 1f]);

        Assert.Equal([4f, 21f, 6f, 3f], result);
    }

    [Fact]
    public void Beta_below_one_over_n_trims_nothing_and_gives_the_plain_mean()
    {
        // floor(0.1 x 5) = 0: means 110/5, 0/5, 25/5, 1006/5.
        var result = Run(new TrimmedMean(), Clients(Five), sliceElements: 3);

        Assert.Equal([22f, 0f, 5f, 201.2f], result);
    }

    [Fact]
    public void Seven_clients_with_beta_0_3_keep_the_middle_three()
    {
        // floor(0.3 x 7) = 2 from each end of {-50, 1, 2, 3, 4, 5, 60} -> {2, 3, 4} -> 3;
        // second column {-9, -8, 0, 0, 1, 7, 70} -> {0, 0, 1} -> 1/3.
        var clients = Clients([-50f, -9f], [1f, 70f], [2f, 0f], [3f, 0f], [4f, 1f], [5f, -8f], [60f, 7f]);

        var result = Run(new TrimmedMean(0.3), clients, sliceElements: 1);

        Assert.Equal([3f, (float)(1.0 / 3)], result);
    }

    [Fact]
    public void Trim_count_is_floor_of_beta_times_n_without_rounding_error()
    {
        Assert.Equal(29, TrimmedMean.TrimCount(0.29, 100)); // 0.29 x 100 = 28.999999999999996 in binary
        Assert.Equal(1, TrimmedMean.TrimCount(0.1, 10));
        Assert.Equal(0, TrimmedMean.TrimCount(0.1, 9));
        Assert.Equal(0, TrimmedMean.TrimCount(0.49, 2));
        Assert.Equal(1, TrimmedMean.TrimCount(0.4999, 3));
    }

    [Fact]
    public void Beta_at_least_f_over_n_ignores_f_extreme_attackers()
    {
        var rng = new Random(3);
        for (var trial = 0; trial < 60; trial++)
        {
            var n = rng.Next(5, 12);
            var f = rng.Next(1, (n - 1) / 2 + 1);
            var beta = Math.Min((double)f / n + rng.NextDouble() * 0.05, 0.4999);
            Assert.True(TrimmedMean.TrimCount(beta, n) >= f);
            var parameters = rng.Next(2, 7);
            var honest = Enumerable.Range(0, n - f).Select(_ => RandomVector(rng, parameters)).ToArray();
            var signs = Enumerable.Range(0, f).Select(_ => Enumerable.Range(0, parameters).Select(_ => rng.Next(2) == 0 ? -1f : 1f).ToArray()).ToArray();
            float[] Attacker(int a, float magnitude) => signs[a].Select(s => s * magnitude).ToArray();

            var mild = Run(new TrimmedMean(beta), Clients([.. honest, .. Enumerable.Range(0, f).Select(a => Attacker(a, 1e4f))]), 2);
            var wild = Run(new TrimmedMean(beta), Clients([.. honest, .. Enumerable.Range(0, f).Select(a => Attacker(a, 3e30f))]), 2);

            // Whatever the attackers' magnitude, only honest values survive the trim.
            Assert.Equal(Bits(mild), Bits(wild));
            for (var j = 0; j < parameters; j++)
                Assert.InRange(wild[j], honest.Min(h => h[j]), honest.Max(h => h[j]));
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(-0.01)]
    [InlineData(double.NaN)]
    [InlineData(0.75)]
    public void Beta_outside_zero_to_one_half_is_refused(double beta)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TrimmedMean(beta));
        Assert.Equal("beta", error.ParamName);
        Assert.Contains("[0, 0.5)", error.Message);
    }
}
