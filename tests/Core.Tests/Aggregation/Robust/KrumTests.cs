using FlMicroservices.Core.Aggregation.Robust;
using static FlMicroservices.Core.Tests.Aggregation.Robust.RobustRounds;

namespace FlMicroservices.Core.Tests.Aggregation.Robust;

public class KrumTests
{
    // Points (x, 0, y): a (0,0), b (1,0), c (0,2), d (1,1), e (10,10). Squared distances:
    // ab 1, ac 4, ad 2, ae 200, bc 5, bd 1, be 181, cd 2, ce 164, de 162.
    // With f = 1 each score sums the n - f - 2 = 2 nearest: a 1+2 = 3, b 1+1 = 2, c 2+4 = 6, d 1+2 = 3, e 162+164 = 326.
    internal static readonly (string, float[])[] FivePoints =
    [
        ("a", [0f, 0f, 0f]),
        ("b", [1f, 0f, 0f]),
        ("c", [0f, 0f, 2f]),
        ("d", [1f, 0f, 1f]),
        ("e", [10f, 0f, 10f]),
    ];

    [Fact]
    public void Krum_scores_sum_the_squared_distances_to_the_n_minus_f_minus_2_nearest()
    {
        var matrix = new SliceMatrix(3, 2);
        foreach (var (id, delta) in FivePoints)
        {
            matrix.Add(id, 0, delta.AsSpan(0, 2));
            matrix.Add(id, 1, delta.AsSpan(2, 1));
        }

        var scores = KrumSelection.Scores(PairwiseDistances.ForOwnedSlices(matrix), f: 1);

        Assert.Equal([3.0, 2.0, 6.0, 3.0, 326.0], scores);
    }

    [Fact]
    public void Krum_moves_the_model_by_the_lowest_scoring_delta()
    {
        var result = Run(new Krum(f: 1), FivePoints, sliceElements: 2, global: [5f, 5f, 5f]);

        Assert.Equal([6f, 5f, 5f], result); // b
    }

    [Fact]
    public void Equal_scores_go_to_the_first_client_id_in_ordinal_order()
    {
        // A unit square and an outlier: the four corners all score 1 + 1 = 2; "B" < "a" < "b" < "c" ordinally.
        (string, float[])[] clients = [("c", [0f, 0f]), ("b", [1f, 0f]), ("a", [0f, 1f]), ("B", [1f, 1f]), ("e", [10f, 10f])];

        var result = Run(new Krum(1), clients, sliceElements: 1, shuffle: new Random(1));

        Assert.Equal([1f, 1f], result);
    }

    [Fact]
    public void Krum_selects_an_honest_update_whenever_n_exceeds_2f_plus_2()
    {
        var rng = new Random(2017);
        for (var trial = 0; trial < 120; trial++)
        {
            var f = rng.Next(1, 4);
            var n = rng.Next(2 * f + 3, 2 * f + 9);
            var parameters = rng.Next(2, 9);
            var slice = rng.Next(1, parameters);
            var center = Enumerable.Range(0, parameters).Select(_ => (float)((0.5 + rng.NextDouble() * 0.5) * (rng.Next(2) == 0 ? -1 : 1))).ToArray();
            var honest = Enumerable.Range(0, n - f)
                .Select(_ => center.Select(c => c + (float)(0.01 * Normal(rng))).ToArray()).ToArray();
            var mode = trial % 3;
            var colluding = RandomVector(rng, parameters, 1000);
            var attackers = Enumerable.Range(0, f).Select(a => mode switch
            {
                0 => honest[a].Select(v => -v).ToArray(),            // sign flip
                1 => RandomVector(rng, parameters, 1e4),             // huge, independent
                _ => colluding,                                      // huge, identical (colluding)
            }).ToArray();
            // Random ids, so the attackers sit anywhere in the ordinal order.
            var clients = honest.Select(h => (Honest: true, Delta: h)).Concat(attackers.Select(a => (Honest: false, Delta: a)))
                .Select((c, i) => (Id: $"{rng.Next(100_000):D5}-{i}", c.Honest, c.Delta)).ToArray();

            var result = Run(new Krum(f), [.. clients.Select(c => (c.Id, c.Delta))], slice);

            Assert.Contains(clients, c => c.Honest && Bits(c.Delta).SequenceEqual(Bits(result)));
        }
    }

    [Fact]
    public void Clients_that_missed_a_slice_are_not_candidates()
    {
        var round = new Krum(1).BeginRound(2, 1);
        foreach (var (id, x) in new[] { ("h1", 1f), ("h2", 1.25f), ("h3", 0.75f), ("h4", 2f), ("h5", 0f) })
        {
            round.Fold(id, 0, [x], 1);
            round.Fold(id, 1, [x], 1);
        }
        round.Fold("partial", 0, [1.1f], 1); // over slice 0 alone it would score lowest, but its slice 1 never came
        var result = new float[2];

        round.Finish([0f, 0f], result);

        // Scores over (x, x), 2 nearest: h1 0.125 + 0.125, h2 and h3 0.125 + 0.5, h4 1.125 + 2, h5 1.125 + 2.
        Assert.Equal([1f, 1f], result);
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 6)]
    [InlineData(0, 2)]
    public void Too_few_clients_for_f_is_a_clear_error_at_finish(int f, int n)
    {
        var clients = Enumerable.Range(0, n).Select(i => ($"c{i}", new[] { (float)i, 1f })).ToArray();

        var error = Assert.Throws<InvalidOperationException>(() => Run(new Krum(f), clients, 1));

        Assert.Contains("n > 2f + 2", error.Message);
        Assert.Contains($"at least {2 * f + 3} clients", error.Message);
        Assert.Contains($"this round has {n}", error.Message);
    }

    [Fact]
    public void A_client_missing_a_slice_does_not_count_towards_n()
    {
        var round = new Krum(1).BeginRound(2, 1);
        for (var i = 0; i < 4; i++)
        {
            round.Fold($"c{i}", 0, [i], 1);
            round.Fold($"c{i}", 1, [i], 1);
        }
        round.Fold("c4", 0, [4f], 1);

        var error = Assert.Throws<InvalidOperationException>(() => round.Finish(new float[2], new float[2]));
        Assert.Contains("this round has 4", error.Message);
    }

    [Fact]
    public void Negative_f_is_refused_and_an_empty_round_cannot_finish()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Krum(-1));
        var error = Assert.Throws<InvalidOperationException>(() => new Krum().BeginRound(3, 2).Finish(new float[3], new float[3]));
        Assert.Contains("no update", error.Message);
    }
}
