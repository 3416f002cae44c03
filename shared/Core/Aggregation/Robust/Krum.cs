namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>
/// Krum (Blanchard et al. 2017): the global model moves by the single client delta with the lowest Krum score
/// (the sum of squared distances to its n - f - 2 nearest neighbours), tolerating f Byzantine clients when n &gt; 2f + 2.
/// </summary>
/// <remarks>
/// Distances need whole updates, so only clients that delivered every slice this round owns are candidates
/// (clients that delivered only some are ignored); n counts those. Ties go to the first client id in ordinal order.
/// </remarks>
public sealed class Krum : IAggregationStrategy
{
    /// <param name="f">Number of Byzantine clients tolerated (at least 0).</param>
    public Krum(int f = 1) : this(ByzantineTolerance.Exactly(f)) { }

    /// <param name="tolerance">An explicit f, or the share of each round's updates that f follows from.</param>
    public Krum(ByzantineTolerance tolerance)
    {
        ArgumentNullException.ThrowIfNull(tolerance);
        Tolerance = tolerance;
    }

    public string Name => "krum";

    /// <summary>Byzantine clients tolerated: an explicit f, or a share of each round's updates.</summary>
    public ByzantineTolerance Tolerance { get; }

    /// <summary>The explicit f, or null when it follows from <see cref="ByzantineTolerance.Share"/>.</summary>
    public int? F => Tolerance.F;

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements) => new Round(this, parameterCount, sliceElements);

    private sealed class Round(Krum strategy, int parameterCount, int sliceElements)
        : SelectingRound(strategy.Name, parameterCount, sliceElements)
    {
        protected override string[] SelectFrom(PairwiseDistances distances)
        {
            var f = KrumSelection.RequireEnough("Krum", distances.Count, strategy.Tolerance);
            return [distances.ClientIds[KrumSelection.SelectOne(distances, f)]];
        }

        protected override void WriteSelected(IReadOnlyList<string> selected, Span<float> delta) => Matrix.WriteMean(selected, delta);
    }
}
