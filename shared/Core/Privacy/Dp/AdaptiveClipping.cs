namespace FlMicroservices.Core.Privacy.Dp;

/// <summary>
/// The quantile-based adaptive clipping of G. Andrew, O. Thakkar, H. B. McMahan, S. Ramaswamy, "Differentially Private
/// Learning with Adaptive Clipping" (NeurIPS 2021): pure functions, no state.
/// </summary>
/// <remarks>Design notes: docs/privacy.md, "Notes: AdaptiveClipping".</remarks>
public static class AdaptiveClipping
{
    /// <summary>Andrew et al.'s default target quantile γ: the median update norm.</summary>
    public const double DefaultTargetQuantile = 0.5;

    /// <summary>Andrew et al.'s default clip learning rate η_C.</summary>
    public const double DefaultLearningRate = 0.2;

    /// <summary>
    /// The noise multiplier of the update sum, z_Δ = (z⁻² − (2σ_b)⁻²)^(−½), so that update and count together spend what
    /// noise multiplier <paramref name="noiseMultiplier"/> (z) alone would. z = 0 gives 0 (no privacy asked, none given).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">z or σ_b is negative or not finite, or 2σ_b ≤ z (the count would need more than the whole budget).</exception>
    public static double UpdateNoiseMultiplier(double noiseMultiplier, double countNoiseStd)
    {
        if (!(noiseMultiplier >= 0) || !double.IsFinite(noiseMultiplier))
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise multiplier z must be finite and at least 0.");
        if (!(countNoiseStd >= 0) || !double.IsFinite(countNoiseStd))
            throw new ArgumentOutOfRangeException(nameof(countNoiseStd), countNoiseStd, "The count noise σ_b must be finite and at least 0.");
        if (noiseMultiplier == 0) return 0;
        if (!(2 * countNoiseStd > noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(countNoiseStd), countNoiseStd,
                $"Adaptive clipping needs 2σ_b > z: with z = {noiseMultiplier} the count noise σ_b must exceed {noiseMultiplier / 2:G6}, " +
                $"otherwise the clipped count alone spends more than the whole budget (z_Δ = (z⁻² − (2σ_b)⁻²)^(−½) is undefined).");
        }
        var inverseSquare = 1 / (noiseMultiplier * noiseMultiplier) - 1 / (4 * countNoiseStd * countNoiseStd);
        return 1 / Math.Sqrt(inverseSquare);
    }

    /// <summary>
    /// The default σ_b: Andrew et al. use m/20 in their experiments (noise of standard deviation 0.05 on the fraction b̃);
    /// with few clients per round m/20 is too small for the update's noise (2σ_b ≤ z), so it is raised to z, which costs
    /// the update a noise multiplier z_Δ = z/√(3/4) ≈ 1.155·z.
    /// </summary>
    public static double DefaultCountNoiseStd(double expectedClients, double noiseMultiplier) =>
        Math.Max(expectedClients / 20, noiseMultiplier);

    /// <summary>The next clip norm: C·exp(−η_C·(b̃ − γ)).</summary>
    /// <param name="clipNorm">This round's C.</param>
    /// <param name="noisyFraction">b̃, the noisy share of clients whose update norm was at most C (may fall outside [0, 1]).</param>
    /// <param name="targetQuantile">γ ∈ [0, 1].</param>
    /// <param name="learningRate">η_C &gt; 0.</param>
    public static double NextClipNorm(double clipNorm, double noisyFraction, double targetQuantile, double learningRate) =>
        clipNorm * Math.Exp(-learningRate * (noisyFraction - targetQuantile));
}
