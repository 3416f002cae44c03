using FlMicroservices.Core.Aggregation.Robust;
using static FlMicroservices.Core.Tests.Aggregation.Robust.RobustRounds;

namespace FlMicroservices.Core.Tests.Aggregation.Robust;

public class BulyanTests
{
    // n = 7, f = 1: theta = 5 selected by repeated Krum, then beta = 3 values per coordinate around the median.
    private static readonly (string, float[])[] Seven =
    [
        ("a", [0f, 0f]),
        ("b", [1.25f, 2f]),
        ("c", [2f, 1.5f]),
        ("d", [3f, 4f]),
        ("e", [1f, 1f]),
        ("f", [12f, 12f]),
        ("g", [50f, -50f]),
    ];

    [Fact]
    public void Selection_applies_krum_repeatedly_to_the_updates_left()
    {
        // Scores with max(1, r - f - 2) nearest of the r left:
        // r = 7 (4 nearest): a 38.8125, b 14.5, c 15.5625, d 52.3125, e 17.3125, f 812.8125, g 20038.8125 -> b
        // r = 6 (3): a 33.25, c 14.75, d 45.25, e 16.25, f 597.25, g 14958.25 -> c
        // r = 5 (2): a 27, d 38, e 15, f 387, g 10002 -> e
        // r = 4 (1): a 25, d 25, f 145, g 5000 -> a (tie with d; a comes first)
        // r = 3 (1): d 145, f 145, g 5125 -> d (tie with f; d comes first)
        var selected = KrumSelection.SelectIteratively(MultiKrumTests.DistancesOf(Seven), f: 1, count: 5);

        Assert.Equal([1, 2, 4, 0, 3], selected);
    }

    [Fact]
    public void Bulyan_averages_the_beta_selected_values_closest_to_each_median()
    {
        // Selected: b, c, e, a, d. x: {0, 1, 1.25, 2, 3}, median 1.25 -> {1, 1.25, 2} -> 4.25 / 3.
        // y: {0, 1, 1.5, 2, 4}, median 1.5 -> {1, 1.5, 2} -> 1.5.
        var result = Run(new Bulyan(f: 1), Seven, sliceElements: 1, global: [10f, 20f]);

        Assert.Equal([10f + (float)(4.25 / 3), 21.5f], result);
    }

    [Fact]
    public void Values_closest_to_the_median_grow_outwards_and_prefer_the_smaller_on_a_tie()
    {
        Assert.Equal(2f, Bulyan.MeanAroundMedian([0f, 1f, 2f, 3f, 100f], 3));       // median 2: {1, 2, 3}
        Assert.Equal(1f, Bulyan.MeanAroundMedian([0f, 1f, 2f, 4f, 100f], 3));       // median 2: 1 and 4 -> 1, then 0 vs 4 tie -> 0
        Assert.Equal(2.5f, Bulyan.MeanAroundMedian([-9f, 2f, 3f, 9f], 2));         // even: median 2.5 -> {2, 3}
        Assert.Equal(3.25f, Bulyan.MeanAroundMedian([-100f, 2f, 3f, 4f, 4f, 100f], 4)); // median 3.5 -> {2, 3, 4, 4}
        Assert.Equal(5f, Bulyan.MeanAroundMedian([5f], 1));
    }

    [Fact]
    public void With_f_zero_bulyan_is_the_mean()
    {
        var result = Run(new Bulyan(0), [("a", [1f, 2f]), ("b", [2f, 4f]), ("c", [6f, 0f])], 1);

        Assert.Equal([3f, 2f], result);
    }

    [Fact]
    public void A_single_scaled_attacker_is_excluded()
    {
        var rng = new Random(2018);
        for (var trial = 0; trial < 60; trial++)
        {
            var n = rng.Next(7, 12);
            var parameters = rng.Next(2, 9);
            var slice = rng.Next(1, parameters);
            var center = RandomVector(rng, parameters);
            var honest = Enumerable.Range(0, n - 1).Select(_ => center.Select(c => c + (float)(0.05 * Normal(rng))).ToArray()).ToArray();
            var attacker = honest[rng.Next(n - 1)].Select(v => v * -8f).ToArray();
            var position = trial % n;
            var clients = Clients([.. honest.Take(position), attacker, .. honest.Skip(position)]);

            var result = Run(new Bulyan(1), clients, slice);

            var matrix = new SliceMatrix(parameters, slice);
            foreach (var (id, delta) in clients)
                for (var s = 0; s * slice < parameters; s++)
                    matrix.Add(id, s, delta.AsSpan(s * slice, Math.Min(slice, parameters - s * slice)));
            var distances = PairwiseDistances.ForOwnedSlices(matrix);
            var selected = KrumSelection.SelectIteratively(distances, 1, n - 2);
            Assert.DoesNotContain(distances.IndexOf($"c{position}"), selected);
            Assert.Equal(n - 2, selected.Distinct().Count());
            for (var j = 0; j < parameters; j++)
                Assert.InRange(result[j], honest.Min(h => h[j]), honest.Max(h => h[j]));
        }
    }

    [Theory]
    [InlineData(1, 6)]
    [InlineData(2, 10)]
    public void Fewer_than_4f_plus_3_clients_is_a_clear_error(int f, int n)
    {
        var clients = Enumerable.Range(0, n).Select(i => ($"c{i}", new[] { (float)i, -i })).ToArray();

        var error = Assert.Throws<InvalidOperationException>(() => Run(new Bulyan(f), clients, 1));

        Assert.Contains($"n >= 4f + 3 = {4 * f + 3}", error.Message);
        Assert.Contains($"this round has {n}", error.Message);
    }

    [Fact]
    public void From_the_default_share_ten_clients_are_too_few_and_eleven_enough()
    {
        // f = floor(0.2 n): 2 for both, and 4f + 3 = 11.
        var ten = Enumerable.Range(0, 10).Select(i => ($"c{i:D2}", new[] { (float)i, -i })).ToArray();
        var eleven = Enumerable.Range(0, 11).Select(i => ($"c{i:D2}", new[] { (float)i, -i })).ToArray();

        var error = Assert.Throws<InvalidOperationException>(() => Run(new Bulyan(new ByzantineTolerance()), ten, 1));
        var result = Run(new Bulyan(new ByzantineTolerance()), eleven, 1);

        Assert.Contains("Bulyan with f = 2 (20% of 10 updates) needs n >= 4f + 3 = 11", error.Message);
        Assert.Equal(Run(new Bulyan(2), eleven, 1), result); // the same as an explicit f = 2
        Assert.NotEqual(Run(new Bulyan(1), eleven, 1), result);
    }
}
