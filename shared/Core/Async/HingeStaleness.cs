namespace FlMicroservices.Core.Async;

/// <summary>Hinge staleness weighting (Xie et al. 2019, FedAsync): 1 up to <c>b</c> versions behind, then 1 / (a (s - b) + 1).</summary>
public sealed class HingeStaleness : IStalenessWeighting
{
    /// <summary>FedAsync's slope a and threshold b.</summary>
    public const double DefaultSlope = 10;
    public const int DefaultThreshold = 4;

    public HingeStaleness(double slope = DefaultSlope, int threshold = DefaultThreshold)
    {
        if (!(slope >= 0) || !double.IsFinite(slope))
            throw new ArgumentOutOfRangeException(nameof(slope), slope, "The hinge slope a must be a finite number, 0 or more.");
        ArgumentOutOfRangeException.ThrowIfNegative(threshold);
        Slope = slope;
        Threshold = threshold;
    }

    public double Slope { get; }
    public int Threshold { get; }

    public string Name => FormattableString.Invariant($"hinge:{Slope:R},{Threshold}");

    public double Weight(int staleness)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(staleness);
        return staleness <= Threshold ? 1 : 1 / (Slope * (staleness - Threshold) + 1);
    }
}
