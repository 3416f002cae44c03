namespace FlMicroservices.Core.Async;

/// <summary>Polynomial staleness weighting, 1 / (1 + s)^a; a = 0.5 (1 / sqrt(1 + s)) is FedBuff's default (Nguyen et al. 2022).</summary>
public sealed class PolynomialStaleness : IStalenessWeighting
{
    /// <summary>FedBuff's exponent.</summary>
    public const double DefaultExponent = 0.5;

    public PolynomialStaleness(double exponent = DefaultExponent)
    {
        if (!(exponent >= 0) || !double.IsFinite(exponent))
            throw new ArgumentOutOfRangeException(nameof(exponent), exponent, "The polynomial staleness exponent must be a finite number, 0 or more.");
        Exponent = exponent;
    }

    public double Exponent { get; }

    public string Name => Exponent == DefaultExponent ? "polynomial" : FormattableString.Invariant($"polynomial:{Exponent:R}");

    public double Weight(int staleness)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(staleness);
        return Math.Pow(1.0 + staleness, -Exponent);
    }
}
