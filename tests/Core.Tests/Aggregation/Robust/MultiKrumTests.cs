using FlMicroservices.Core.Aggregation.Robust;
using static FlMicroservices.Core.Tests.Aggregation.Robust.RobustRounds;

namespace FlMicroservices.Core.Tests.Aggregation.Robust;

public class MultiKrumTests
{
    // Scores (see KrumTests.FivePoints): a 3, b 2, c 6, d 3, e 326.

    [Fact]
    public void Default_m_of_n_minus_f_averages_all_but_the_worst_scores()
    {
        // m = 5 - 1 = 4: b, a, d, c -> ((1+0+1+0)/4, 0, (0+0+1+2)/4).
        var result = Run(new MultiKrum(f: 1), KrumTests.FivePoints, sliceElements: 2);

        Assert.Equal([0.5f, 0f, 0.75f], result);
    }

    [Fact]
    public void M_of_three_averages_the_three_best_unweighted()
    {
        // b (2), a (3), d (3): x (1+0+1)/3, y (0+0+1)/3 -- the folds carry different weights, which do not count.
        var result = Run(new MultiKrum(f: 1, m: 3), KrumTests.FivePoints, sliceElements: 2, global: [1f, 1f, 1f]);

        Assert.Equal([1f + 2f / 3f, 1f, 1f + 1f / 3f], result);
    }

    [Fact]
    public void A_score_tie_at_the_cut_goes_to_the_first_client_id()
    {
        // m = 2: b, then a and d tie at 3 and a comes first -> mean of b and a.
        var result = Run(new MultiKrum(1, 2), KrumTests.FivePoints, sliceElements: 2, shuffle: new Random(4));

        Assert.Equal([0.5f, 0f, 0f], result);
        Assert.Equal([1, 0], KrumSelection.SelectBest(DistancesOf(KrumTests.FivePoints), 1, 2));
    }

    [Fact]
    public void M_of_one_is_krum()
    {
        var multi = Run(new MultiKrum(1, 1), KrumTests.FivePoints, 1);
        var krum = Run(new Krum(1), KrumTests.FivePoints, 1);

        Assert.Equal(krum, multi);
    }

    [Fact]
    public void A_single_scaled_attacker_is_excluded()
    {
        var rng = new Random(42);
        for (var trial = 0; trial < 80; trial++)
        {
            var n = rng.Next(5, 10);
            var parameters = rng.Next(2, 9);
            var center = RandomVector(rng, parameters);
            var honest = Enumerable.Range(0, n - 1).Select(_ => center.Select(c => c + (float)(0.05 * Normal(rng))).ToArray()).ToArray();
            var attacker = honest[rng.Next(n - 1)].Select(v => v * 10f).ToArray(); // scale:10 of an honest update
            var clients = Clients([.. honest.Take(trial % (n - 1)), attacker, .. honest.Skip(trial % (n - 1))]);

            var result = Run(new MultiKrum(f: 1), clients, rng.Next(1, parameters));

            // m = n - 1 = every honest update: the result is their plain mean.
            var mean = Enumerable.Range(0, parameters).Select(j => honest.Average(h => (double)h[j])).ToArray();
            AssertClose(mean, result, 1e-5);
        }
    }

    [Fact]
    public void From_the_default_share_it_averages_n_minus_2f_and_so_drops_more_attackers_than_the_share()
    {
        // 20 clients, share 0.2: f = 4, m = 20 - 8 = 12. Six attackers (30%) far from the 14 honest updates all score worst.
        var rng = new Random(7);
        var center = RandomVector(rng, 6);
        var honest = Enumerable.Range(0, 14).Select(_ => center.Select(c => c + (float)(0.05 * Normal(rng))).ToArray()).ToArray();
        var attackers = Enumerable.Range(0, 6).Select(_ => RandomVector(rng, 6, scale: 10)).ToArray();
        var clients = Clients([.. attackers, .. honest]);
        var strategy = new MultiKrum(new ByzantineTolerance());

        var distances = DistancesOf(clients);
        var chosen = KrumSelection.SelectBest(distances, 4, strategy.SelectedAmong(20, 4)).Select(i => distances.ClientIds[i]).ToArray();
        var result = Run(strategy, clients, 3);

        Assert.Equal(12, chosen.Length);
        Assert.All(chosen, id => Assert.True(int.Parse(id[1..]) >= 6, $"attacker {id} was selected"));
        var mean = Enumerable.Range(0, 6).Select(j => chosen.Average(id => (double)clients.Single(c => c.Id == id).Delta[j])).ToArray();
        AssertClose(mean, result, 1e-5);
    }

    [Fact]
    public void From_a_share_a_round_too_small_fails_naming_the_share()
    {
        var two = KrumTests.FivePoints.Take(2).ToArray();

        var error = Assert.Throws<InvalidOperationException>(() => Run(new MultiKrum(new ByzantineTolerance(0.2)), two, 2));

        Assert.Contains("f = 0 (20% of 2 updates) needs n > 2f + 2, that is at least 3 clients", error.Message);
    }

    [Fact]
    public void Too_few_clients_or_m_beyond_n_is_a_clear_error()
    {
        var four = KrumTests.FivePoints.Take(4).ToArray();
        var small = Assert.Throws<InvalidOperationException>(() => Run(new MultiKrum(1), four, 2));
        Assert.Contains("Multi-Krum with f = 1 needs n > 2f + 2", small.Message);

        var many = Assert.Throws<InvalidOperationException>(() => Run(new MultiKrum(1, 6), KrumTests.FivePoints, 2));
        Assert.Contains("m = 6", many.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiKrum(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiKrum(-2));
    }

    internal static PairwiseDistances DistancesOf(IEnumerable<(string Id, float[] Delta)> clients)
    {
        var list = clients.ToList();
        var matrix = new SliceMatrix(list[0].Delta.Length, list[0].Delta.Length);
        foreach (var (id, delta) in list) matrix.Add(id, 0, delta);
        return PairwiseDistances.ForOwnedSlices(matrix);
    }
}
