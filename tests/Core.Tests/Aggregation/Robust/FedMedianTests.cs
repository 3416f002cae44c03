using FlMicroservices.Core.Aggregation.Robust;
using static FlMicroservices.Core.Tests.Aggregation.Robust.RobustRounds;

namespace FlMicroservices.Core.Tests.Aggregation.Robust;

public class FedMedianTests
{
    [Fact]
    public void Odd_count_moves_each_parameter_by_the_middle_value()
    {
        // Columns: {1, 3, 2} -> 2, {5, -1, 4} -> 4, {-2, 0, 10} -> 0; slices of 2 cut the model into [0, 1] and [2].
        var clients = Clients([1f, 5f, -2f], [3f, -1f, 0f], [2f, 4f, 10f]);

        var result = Run(new FedMedian(), clients, sliceElements: 2, global: [10f, 10f, 10f]);

        Assert.Equal([12f, 14f, 10f], result);
    }

    [Fact]
    public void Even_count_takes_the_mean_of_the_two_middle_values()
    {
        // Sorted columns: {0, 1, 2, 3} -> 1.5, {-1, 0, 4, 5} -> 2, {-2, 0, 1, 10} -> 0.5.
        var clients = Clients([1f, 5f, -2f], [3f, -1f, 0f], [2f, 4f, 10f], [0f, 0f, 1f]);

        var result = Run(new FedMedian(), clients, sliceElements: 2);

        Assert.Equal([1.5f, 2f, 0.5f], result);
    }

    [Fact]
    public void Example_counts_do_not_weight_the_median()
    {
        var round = new FedMedian().BeginRound(2, 1);
        round.Fold("a", 0, [1f], 1_000_000);
        round.Fold("b", 0, [2f], 1);
        round.Fold("c", 0, [3f], 1);
        round.Fold("a", 1, [-1f], 1_000_000);
        round.Fold("b", 1, [-2f], 1);
        round.Fold("c", 1, [-3f], 1);
        var result = new float[2];

        round.Finish([0f, 0f], result);

        Assert.Equal([2f, -2f], result);
    }

    [Fact]
    public void A_slice_uses_only_the_clients_that_delivered_it()
    {
        var round = new FedMedian().BeginRound(3, 2);
        round.Fold("a", 0, [1f, 5f], 1);
        round.Fold("b", 0, [3f, -1f], 1);
        round.Fold("c", 0, [2f, 4f], 1);
        round.Fold("d", 0, [0f, 0f], 1); // d never sends slice 1
        round.Fold("a", 1, [-2f], 1);
        round.Fold("b", 1, [0f], 1);
        round.Fold("c", 1, [10f], 1);
        var result = new float[3];

        round.Finish([1f, 1f, 1f], result);

        // Slice 0 over four clients: 1.5 and 2; slice 1 over three: median of {-2, 0, 10} = 0.
        Assert.Equal([2.5f, 3f, 1f], result);
    }

    [Fact]
    public void Median_is_invariant_under_permuting_the_clients()
    {
        var rng = new Random(11);
        for (var trial = 0; trial < 60; trial++)
        {
            var n = rng.Next(3, 10);
            var parameters = rng.Next(2, 13);
            var slice = rng.Next(1, parameters + 1);
            var deltas = new float[n][];
            for (var i = 0; i < n; i++) deltas[i] = RandomVector(rng, parameters);
            var permutation = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
            var original = Clients(deltas);
            // The same updates handed to differently named clients, folded in a different order.
            var permuted = permutation.Select(p => ($"client-{rng.Next(1000):D3}-{p}", deltas[p])).ToArray();

            var expected = Run(new FedMedian(), original, slice);
            var actual = Run(new FedMedian(), permuted, slice, shuffle: new Random(trial));

            Assert.Equal(Bits(expected), Bits(actual));
        }
    }

    [Fact]
    public void A_minority_of_extreme_attackers_cannot_pull_a_coordinate_outside_the_honest_range()
    {
        var rng = new Random(5);
        for (var trial = 0; trial < 40; trial++)
        {
            var honest = rng.Next(3, 8);
            var attackers = rng.Next(1, honest); // strictly fewer than the honest clients
            var deltas = new List<float[]>();
            for (var i = 0; i < honest; i++) deltas.Add(RandomVector(rng, 4));
            for (var i = 0; i < attackers; i++) deltas.Add([1e9f, -1e9f, 1e9f, -1e9f]);

            var result = Run(new FedMedian(), Clients([.. deltas]), sliceElements: 3);

            for (var j = 0; j < 4; j++)
            {
                var column = deltas.Take(honest).Select(d => d[j]).ToArray();
                Assert.InRange(result[j], column.Min(), column.Max());
            }
        }
    }
}
