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
    public MultiKrum(int f = 1, int? m = null) : this(ByzantineTolerance.Exactly(f), m) { }

    /// <param name="tolerance">An explicit f, or the share of each round's updates that f follows from.</param>
    /// <param name="m">Number of updates averaged (at least 1); null: n - f with an explicit f, n - 2f with f from a share.</param>
    public MultiKrum(ByzantineTolerance tolerance, int? m = null)
    {
        ArgumentNullException.ThrowIfNull(tolerance);
        if (m is { } selected) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(selected, nameof(m));
        Tolerance = tolerance;
        M = m;
    }

    public string Name => "multi-krum";

    /// <summary>Byzantine clients tolerated: an explicit f, or a share of each round's updates.</summary>
    public ByzantineTolerance Tolerance { get; }

    /// <summary>The explicit f, or null when it follows from <see cref="ByzantineTolerance.Share"/>.</summary>
    public int? F => Tolerance.F;

    /// <summary>Number of updates averaged; null means <see cref="SelectedAmong"/>.</summary>
    public int? M { get; }

    /// <summary>m for a round of <paramref name="n"/> updates and <paramref name="f"/> attackers: the explicit m, n - f for an explicit f, else n - 2f.</summary>
    /// <remarks>With f from a share, n - 2f leaves a margin for more attackers than the share (see docs/robustness.md).</remarks>
    public int SelectedAmong(int n, int f) => M ?? (Tolerance.F is null ? n - 2 * f : n - f);

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements) => new Round(this, parameterCount, sliceElements);

    private sealed class Round(MultiKrum strategy, int parameterCount, int sliceElements)
        : SelectingRound(strategy.Name, parameterCount, sliceElements)
    {
        protected override void WriteSelected(IReadOnlyList<string> selected, Span<float> delta) => Matrix.WriteMean(selected, delta);

        protected override string[] SelectFrom(PairwiseDistances distances)
        {
            var n = distances.Count;
            var f = KrumSelection.RequireEnough("Multi-Krum", n, strategy.Tolerance);
            var m = strategy.SelectedAmong(n, f);
            if (m > n)
                throw new InvalidOperationException($"Multi-Krum cannot average m = {m} updates: only {n} clients delivered every slice.");
            var chosen = KrumSelection.SelectBest(distances, f, m);
            var ids = new string[m];
            for (var i = 0; i < m; i++) ids[i] = distances.ClientIds[chosen[i]];
            return ids;
        }
    }
}
