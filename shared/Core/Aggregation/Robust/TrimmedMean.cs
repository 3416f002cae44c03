namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>
/// Coordinate-wise trimmed mean (Yin et al. 2018): for each parameter, drop the floor(beta n) smallest and the
/// floor(beta n) largest of the n clients' values and average the rest.
/// </summary>
/// <remarks>
/// Unweighted, like <see cref="FedMedian"/>. n is the number of clients that delivered the slice, so a slice some
/// clients missed trims according to its own count. With f attackers, beta &gt;= f / n trims every attacker's value
/// from a coordinate when it is extreme.
/// </remarks>
public sealed class TrimmedMean : IAggregationStrategy
{
    public const double DefaultBeta = 0.1;

    /// <param name="beta">Fraction trimmed from each end, in [0, 0.5).</param>
    public TrimmedMean(double beta = DefaultBeta)
    {
        if (!(beta >= 0 && beta < 0.5))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "The trimmed fraction beta must be in [0, 0.5) (it is trimmed from each end).");
        Beta = beta;
    }

    public string Name => "trimmed-mean";

    /// <summary>Fraction trimmed from each end.</summary>
    public double Beta { get; }

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements) => new Round(this, parameterCount, sliceElements);

    /// <summary>How many values are trimmed from each end of <paramref name="count"/> values: floor(beta count).</summary>
    /// <remarks>A tolerance of 1e-9 keeps products such as 0.29 x 100 = 28.999999999999996 from flooring one too low;
    /// at least one value is always kept.</remarks>
    public static int TrimCount(double beta, int count) => Math.Min((int)Math.Floor(beta * count + 1e-9), (count - 1) / 2);

    private sealed class Round(TrimmedMean strategy, int parameterCount, int sliceElements)
        : BufferedRound(strategy.Name, parameterCount, sliceElements)
    {
        protected override void WriteDelta(Span<float> delta) => CoordinateWise.Reduce(Matrix, null, delta, new Trimmed(strategy.Beta));
    }

    private readonly struct Trimmed(double beta) : IColumnReducer
    {
        public float Reduce(ReadOnlySpan<float> sorted)
        {
            var trim = TrimCount(beta, sorted.Length);
            var kept = sorted[trim..^trim];
            var sum = 0.0;
            for (var i = 0; i < kept.Length; i++) sum += kept[i];
            return (float)(sum / kept.Length);
        }
    }
}
