namespace FlMicroservices.Core.Privacy;

/// <summary>
/// Rényi differential privacy (RDP) of the Poisson-subsampled Gaussian mechanism (the per-step mechanism of DP-SGD
/// and of DP-FedAvg with client sampling): pure functions, no state.
/// </summary>
/// <remarks>Design notes: docs/privacy.md, "Notes: RdpMath".</remarks>
public static class RdpMath
{
    /// <summary>Integer orders up to this use the binomial sum; larger ones (never used in practice) the series.</summary>
    private const int MaxBinomialOrder = 1_000_000;

    /// <summary>The series stops once its next terms are below this fraction of the sum (the tails alternate, so
    /// the truncation error is at most the first omitted term).</summary>
    private static readonly double LogSeriesTolerance = Math.Log(1e-17);

    /// <summary>Hard stop for the fractional-order series; reached only for q near 1/2 with σ in the thousands, where the
    /// omitted (alternating) tail is still below the last term added.</summary>
    private const int MaxSeriesTerms = 5_000_000;

    /// <summary>
    /// RDP ε(α) of one step of the Poisson-subsampled Gaussian mechanism. q = 0 gives 0 (nothing is released about
    /// anyone); otherwise σ = 0 gives +∞ (no noise); q = 1 gives the Gaussian mechanism's α/(2σ²).
    /// </summary>
    public static double SampledGaussianRdp(double sampleRate, double noiseMultiplier, double order)
    {
        ValidateMechanism(sampleRate, noiseMultiplier);
        ValidateOrder(order);
        if (sampleRate == 0) return 0;
        if (noiseMultiplier == 0) return double.PositiveInfinity;
        if (sampleRate == 1) return order / (2 * noiseMultiplier * noiseMultiplier);
        var logA = IsBinomialOrder(order)
            ? LogMomentInteger(sampleRate, noiseMultiplier, (int)order)
            : LogMomentSeries(sampleRate, noiseMultiplier, order);
        // A_α ≥ 1 (Jensen), so the RDP is never negative; a rounding-level negative result becomes 0.
        return Math.Max(0, logA / (order - 1));
    }

    /// <summary><see cref="SampledGaussianRdp(double, double, double)"/> at each order.</summary>
    public static double[] SampledGaussianRdp(double sampleRate, double noiseMultiplier, IReadOnlyList<double> orders)
    {
        ArgumentNullException.ThrowIfNull(orders);
        var rdp = new double[orders.Count];
        for (var i = 0; i < rdp.Length; i++) rdp[i] = SampledGaussianRdp(sampleRate, noiseMultiplier, orders[i]);
        return rdp;
    }

    /// <summary>
    /// log A_α for an integer order α ≥ 2 by the exact binomial sum (Mironov, Talwar, Zhang 2019, Section 3.2),
    /// for 0 &lt; q &lt; 1 and σ &gt; 0.
    /// </summary>
    public static double LogMomentInteger(double sampleRate, double noiseMultiplier, int order)
    {
        ValidateInterior(sampleRate, noiseMultiplier);
        if (order < 2) throw new ArgumentOutOfRangeException(nameof(order), order, "The integer RDP order must be at least 2.");
        var logQ = Math.Log(sampleRate);
        var log1MinusQ = LogMath.Log1P(-sampleRate);
        var twoSigmaSquared = 2 * noiseMultiplier * noiseMultiplier;
        var sum = new CompensatedLogSum();
        var logBinomial = 0.0; // log C(α, 0)
        for (var k = 0; k <= order; k++)
        {
            sum.Add(logBinomial + (order - k) * log1MinusQ + k * logQ + ((double)k * k - k) / twoSigmaSquared);
            logBinomial += Math.Log(order - k) - Math.Log(k + 1.0); // C(α, k+1) = C(α, k)·(α − k)/(k + 1)
        }
        return sum.LogValue;
    }

    /// <summary>
    /// log A_α for any real order α &gt; 1 by the two-sided series of Mironov, Talwar, Zhang 2019, Section 3.3,
    /// for 0 &lt; q &lt; 1 and σ &gt; 0. At integer α the series terminates and equals the binomial sum.
    /// </summary>
    public static double LogMomentSeries(double sampleRate, double noiseMultiplier, double order)
    {
        ValidateInterior(sampleRate, noiseMultiplier);
        ValidateOrder(order);
        var logQ = Math.Log(sampleRate);
        var log1MinusQ = LogMath.Log1P(-sampleRate);
        var sigmaSquared = noiseMultiplier * noiseMultiplier;
        var twoSigmaSquared = 2 * sigmaSquared;
        var erfcScale = Math.Sqrt(2) * noiseMultiplier;
        var z0 = sigmaSquared * (log1MinusQ - logQ) + 0.5;
        var logHalf = -Math.Log(2);

        var sum = new CompensatedLogSum();
        var logBinomial = 0.0; // log |C(α, i)|
        var binomialSign = 1;
        for (var i = 0; i < MaxSeriesTerms; i++)
        {
            if (double.IsNegativeInfinity(logBinomial)) break; // integer α: C(α, i) = 0 from i = α + 1 on
            double j = order - i;
            var lower = logBinomial + i * logQ + j * log1MinusQ + ((double)i * i - i) / twoSigmaSquared
                + logHalf + ErrorFunction.LogErfc((i - z0) / erfcScale);
            var upper = logBinomial + j * logQ + i * log1MinusQ + (j * j - j) / twoSigmaSquared
                + logHalf + ErrorFunction.LogErfc((z0 - j) / erfcScale);
            sum.Add(lower, negative: binomialSign < 0);
            sum.Add(upper, negative: binomialSign < 0);

            // Past i > α the terms alternate in sign (so does C(α, i)) and both tails shrink monotonically: |C(α, i)|
            // does once i > (α − 1)/2, and the rest of a lower term is e^(−z₀²/2σ²)·e^(t²/2)·erfc(t/√2)/2 with
            // t = (i − z₀)/σ (likewise for an upper term with t = (z₀ − α + i)/σ), which decreases in t (Mills'
            // ratio). So once the current terms are negligible against the sum, the rest of the series is too.
            if (i > order && Math.Max(lower, upper) < sum.LogValue + LogSeriesTolerance) break;

            var factor = order - i; // C(α, i+1) = C(α, i)·(α − i)/(i + 1)
            logBinomial += Math.Log(Math.Abs(factor)) - Math.Log(i + 1.0);
            if (factor < 0) binomialSign = -binomialSign;
        }
        var logA = sum.LogValue;
        if (double.IsNaN(logA))
            throw new InvalidOperationException($"The RDP series for q = {sampleRate}, σ = {noiseMultiplier}, α = {order} did not produce a positive moment.");
        return logA;
    }

    internal static bool IsBinomialOrder(double order) => order == Math.Floor(order) && order <= MaxBinomialOrder;

    internal static void ValidateMechanism(double sampleRate, double noiseMultiplier)
    {
        if (!(sampleRate >= 0 && sampleRate <= 1))
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "The sampling rate q must be in [0, 1].");
        if (!(noiseMultiplier >= 0) || double.IsPositiveInfinity(noiseMultiplier))
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise multiplier σ must be finite and at least 0.");
    }

    internal static void ValidateOrder(double order)
    {
        if (!(order > 1) || double.IsPositiveInfinity(order))
            throw new ArgumentOutOfRangeException(nameof(order), order, "An RDP order α must be finite and greater than 1.");
    }

    private static void ValidateInterior(double sampleRate, double noiseMultiplier)
    {
        if (!(sampleRate > 0 && sampleRate < 1))
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "The series needs a sampling rate q strictly between 0 and 1.");
        if (!(noiseMultiplier > 0) || double.IsPositiveInfinity(noiseMultiplier))
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The series needs a finite noise multiplier σ > 0.");
    }
}
