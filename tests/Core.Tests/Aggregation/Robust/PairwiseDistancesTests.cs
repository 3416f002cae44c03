using FlMicroservices.Core.Aggregation.Robust;
using static FlMicroservices.Core.Tests.Aggregation.Robust.RobustRounds;

namespace FlMicroservices.Core.Tests.Aggregation.Robust;

public class PairwiseDistancesTests
{
    private static SliceMatrix Fill(IReadOnlyList<(string Id, float[] Delta)> clients, int sliceElements, Func<int, bool> owns)
    {
        var parameters = clients[0].Delta.Length;
        var matrix = new SliceMatrix(parameters, sliceElements);
        foreach (var (id, delta) in clients)
            for (var s = 0; s < matrix.SliceCount; s++)
                if (owns(s)) matrix.Add(id, s, delta.AsSpan(s * sliceElements, matrix.SliceLength(s)));
        return matrix;
    }

    private static (string, float[])[] RandomClients(Random rng, int n, int parameters) =>
        [.. Enumerable.Range(0, n).Reverse().Select(i => ($"client-{i}", RandomVector(rng, parameters, 1 + i)))]; // arrive in reverse ordinal order

    [Fact]
    public void Partials_of_two_halves_combine_to_the_whole_model_matrix()
    {
        var rng = new Random(9);
        for (var trial = 0; trial < 20; trial++)
        {
            var n = rng.Next(3, 9);
            var sliceElements = rng.Next(1, 6);
            var parameters = rng.Next(2 * sliceElements + 1, 60);
            var clients = RandomClients(rng, n, parameters);
            var slices = (parameters + sliceElements - 1) / sliceElements;
            var half = slices / 2;

            var whole = PairwiseDistances.ForOwnedSlices(Fill(clients, sliceElements, _ => true));
            var first = PairwiseDistances.ForOwnedSlices(Fill(clients, sliceElements, s => s < half));
            var second = PairwiseDistances.ForOwnedSlices(Fill(clients, sliceElements, s => s >= half));
            var combined = PairwiseDistances.Combine([first, second]);

            Assert.Equal(whole.ClientIds, combined.ClientIds);
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                {
                    var reference = Reference(clients.First(c => c.Item1 == whole.ClientIds[i]).Item2, clients.First(c => c.Item1 == whole.ClientIds[j]).Item2);
                    Assert.True(Math.Abs(combined[i, j] - whole[i, j]) <= 1e-9 * whole[i, j], $"combined [{i},{j}]");
                    Assert.True(Math.Abs(reference - whole[i, j]) <= 1e-9 * reference, $"reference [{i},{j}]");
                }
            Assert.Equal(KrumSelection.SelectOne(whole, 0), KrumSelection.SelectOne(combined, 0));
        }
    }

    [Fact]
    public void Combining_the_per_slice_partials_in_order_is_bit_identical_to_the_whole()
    {
        var rng = new Random(10);
        var clients = RandomClients(rng, 6, 4000);
        var matrix = Fill(clients, 1500, _ => true); // slices of 1500, 1500 and 1000: several chunks each

        var whole = PairwiseDistances.ForOwnedSlices(matrix);
        var combined = PairwiseDistances.Combine([.. Enumerable.Range(0, matrix.SliceCount).Select(s => PairwiseDistances.ForSlice(matrix, s))]);

        Assert.Equal(whole.Values.ToArray(), combined.Values.ToArray());
        Assert.Equal(PairwiseDistances.SquaredDistance(matrix.Row(1, "client-1"), matrix.Row(1, "client-4")),
            PairwiseDistances.ForSlice(matrix, 1)[1, 4]);
    }

    [Fact]
    public void Distances_are_squared_euclidean_symmetric_with_a_zero_diagonal()
    {
        var matrix = Fill([("a", [0f, 0f, 0f]), ("b", [3f, 4f, 0f]), ("c", [1f, 1f, 1f])], 2, _ => true);

        var distances = PairwiseDistances.ForOwnedSlices(matrix);

        Assert.Equal([0.0, 25.0, 3.0, 25.0, 0.0, 14.0, 3.0, 14.0, 0.0], distances.Values.ToArray());
        Assert.Equal(1, distances.IndexOf("b"));
        Assert.Equal(-1, distances.IndexOf("z"));
    }

    [Fact]
    public void Combining_keeps_only_clients_present_in_every_partial()
    {
        var first = new PairwiseDistances(["a", "b", "c"], [0, 1, 4, 1, 0, 9, 4, 9, 0]);
        var second = new PairwiseDistances(["a", "c", "d"], [0, 2, 5, 2, 0, 7, 5, 7, 0]);

        var combined = PairwiseDistances.Combine([first, second]);

        Assert.Equal(["a", "c"], combined.ClientIds);
        Assert.Equal([0.0, 6.0, 6.0, 0.0], combined.Values.ToArray());
    }

    [Fact]
    public void Huge_finite_updates_do_not_overflow()
    {
        var matrix = Fill([("a", [3e38f, -3e38f]), ("b", [-3e38f, 3e38f])], 1, _ => true);

        var distances = PairwiseDistances.ForOwnedSlices(matrix);

        var difference = 2 * (double)3e38f;
        var expected = 2 * difference * difference; // about 7.2e77, far beyond float range
        Assert.True(double.IsFinite(distances[0, 1]));
        Assert.True(Math.Abs(distances[0, 1] - expected) <= 1e-12 * expected);
    }

    [Fact]
    public void A_received_matrix_must_be_a_distance_matrix_over_ordered_ids()
    {
        Assert.Throws<ArgumentException>(() => new PairwiseDistances(["b", "a"], [0, 1, 1, 0]));
        Assert.Throws<ArgumentException>(() => new PairwiseDistances(["a", "b"], [0, 1, 2, 0]));
        Assert.Throws<ArgumentException>(() => new PairwiseDistances(["a", "b"], [1, 1, 1, 0]));
        Assert.Throws<ArgumentException>(() => new PairwiseDistances(["a", "b"], [0, -1, -1, 0]));
        Assert.Throws<ArgumentException>(() => new PairwiseDistances(["a", "b"], [0, 1, 1]));
        Assert.Throws<ArgumentException>(() => PairwiseDistances.Combine([]));
    }

    private static double Reference(float[] a, float[] b)
    {
        var sum = 0.0;
        for (var k = 0; k < a.Length; k++) sum += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
        return sum;
    }
}
