namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>
/// Bulyan (El Mhamdi et al. 2018, "The Hidden Vulnerability of Distributed Learning in Byzantium"): selects
/// theta = n - 2f updates by applying Krum repeatedly to the updates not yet selected, then for each coordinate
/// averages the beta = theta - 2f selected values closest to their median. Requires n &gt;= 4f + 3.
/// </summary>
/// <remarks>
/// Unweighted. Only clients that delivered every slice this round owns are candidates; n counts those.
/// The selection is <see cref="KrumSelection.SelectIteratively"/>. The beta values closest to the median form a
/// contiguous run of the sorted values, grown outwards from the middle; when the next values on both sides are
/// equally close, the smaller is taken first.
/// </remarks>
public sealed class Bulyan : IAggregationStrategy
{
    /// <param name="f">Number of Byzantine clients tolerated (at least 0).</param>
    public Bulyan(int f = 1) : this(ByzantineTolerance.Exactly(f)) { }

    /// <param name="tolerance">An explicit f, or the share of each round's updates that f follows from.</param>
    public Bulyan(ByzantineTolerance tolerance)
    {
        ArgumentNullException.ThrowIfNull(tolerance);
        Tolerance = tolerance;
    }

    public string Name => "bulyan";

    /// <summary>Byzantine clients tolerated: an explicit f, or a share of each round's updates.</summary>
    public ByzantineTolerance Tolerance { get; }

    /// <summary>The explicit f, or null when it follows from <see cref="ByzantineTolerance.Share"/>.</summary>
    public int? F => Tolerance.F;

    /// <summary>The fewest clients Bulyan can work with for <paramref name="f"/> attackers: 4f + 3.</summary>
    public static int MinimumClients(int f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(f);
        return checked(4 * f + 3);
    }

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements) => new Round(this, parameterCount, sliceElements);

    /// <summary>The mean of the <paramref name="beta"/> values of <paramref name="sorted"/> closest to its median.</summary>
    public static float MeanAroundMedian(ReadOnlySpan<float> sorted, int beta)
    {
        if (beta < 1 || beta > sorted.Length)
            throw new ArgumentOutOfRangeException(nameof(beta), beta, $"Between 1 and {sorted.Length} values can be kept.");
        double median = CoordinateWise.MedianOfSorted(sorted);
        // Half-open run [low, high) around the middle: the middle value for an odd count, empty for an even one.
        var low = sorted.Length / 2;
        var high = sorted.Length % 2 == 1 ? low + 1 : low;
        while (high - low < beta)
        {
            if (high == sorted.Length) { low--; continue; }
            if (low == 0) { high++; continue; }
            if (Math.Abs(sorted[low - 1] - median) <= Math.Abs(sorted[high] - median)) low--;
            else high++;
        }
        var sum = 0.0;
        for (var i = low; i < high; i++) sum += sorted[i];
        return (float)(sum / beta);
    }

    private sealed class Round(Bulyan strategy, int parameterCount, int sliceElements)
        : SelectingRound(strategy.Name, parameterCount, sliceElements)
    {
        // f of the selection; a shard handed a selection (UseSelection) derives it from the clients it holds whole.
        private int? _f;

        protected override void WriteSelected(IReadOnlyList<string> selected, Span<float> delta)
        {
            var f = _f ?? strategy.Tolerance.AttackersAmong(PairwiseDistances.ForOwnedSlices(Matrix).Count);
            CoordinateWise.Reduce(Matrix, selected, delta, new AroundMedian(Math.Max(1, selected.Count - 2 * f)));
        }

        protected override string[] SelectFrom(PairwiseDistances distances)
        {
            var n = distances.Count;
            var f = strategy.Tolerance.AttackersAmong(n);
            if (n < MinimumClients(f))
                throw new InvalidOperationException(
                    $"Bulyan with {strategy.Tolerance.Describe(n)} needs n >= 4f + 3 = {MinimumClients(f)} clients that delivered every slice; this round has {n}.");
            _f = f;
            var theta = n - 2 * f;
            var selected = KrumSelection.SelectIteratively(distances, f, theta);
            var ids = new string[theta];
            for (var i = 0; i < theta; i++) ids[i] = distances.ClientIds[selected[i]];
            return ids;
        }
    }

    private readonly struct AroundMedian(int beta) : IColumnReducer
    {
        public float Reduce(ReadOnlySpan<float> sorted) => MeanAroundMedian(sorted, beta);
    }
}
