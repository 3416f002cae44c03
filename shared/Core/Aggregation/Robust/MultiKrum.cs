namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>
/// Multi-Krum (Blanchard et al. 2017): the global model moves by the mean of the m client deltas with the lowest
/// Krum scores (by default m = n - f), tolerating f Byzantine clients when n &gt; 2f + 2.
/// </summary>
/// <remarks>
/// The mean is unweighted: a selected client counts once whatever its example count, as in the paper.
/// Only clients that delivered every slice this round owns are candidates; n counts those.
/// Ties in score go to the first client id in ordinal order.
/// </remarks>
public sealed class MultiKrum : IAggregationStrategy
{
    /// <param name="f">Number of Byzantine clients tolerated (at least 0).</param>
    /// <param name="m">Number of updates averaged (at least 1); null: n - f.</param>
    public MultiKrum(int f = 1, int? m = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(f);
        if (m is { } selected) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(selected, nameof(m));
        F = f;
        M = m;
    }

    public string Name => "multi-krum";

    /// <summary>Number of Byzantine clients tolerated.</summary>
    public int F { get; }

    /// <summary>Number of updates averaged; null means n - f.</summary>
    public int? M { get; }

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements) => new Round(this, parameterCount, sliceElements);

    private sealed class Round(MultiKrum strategy, int parameterCount, int sliceElements)
        : SelectingRound(strategy.Name, parameterCount, sliceElements)
    {
        protected override void WriteSelected(IReadOnlyList<string> selected, Span<float> delta) => Matrix.WriteMean(selected, delta);

        protected override string[] SelectFrom(PairwiseDistances distances)
        {
            var n = distances.Count;
            KrumSelection.RequireEnough("Multi-Krum", n, strategy.F);
            var m = strategy.M ?? n - strategy.F;
            if (m > n)
                throw new InvalidOperationException($"Multi-Krum cannot average m = {m} updates: only {n} clients delivered every slice.");
            var chosen = KrumSelection.SelectBest(distances, strategy.F, m);
            var ids = new string[m];
            for (var i = 0; i < m; i++) ids[i] = distances.ClientIds[chosen[i]];
            return ids;
        }
    }
}
