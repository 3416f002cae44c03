using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Core.Privacy.Dp;

/// <summary>The settings of <see cref="DpFedAvg"/>; <see cref="Validate"/> checks them and names the bad one.</summary>
/// <param name="NoiseMultiplier">z: the noise multiplier the accountant composes (standard deviation over sensitivity), at least 0.</param>
/// <param name="ClipNorm">C: the clip norm of every client's update (with <see cref="Adaptive"/>, the initial one), finite and &gt; 0.</param>
public sealed record DpFedAvgOptions(double NoiseMultiplier, double ClipNorm)
{
    /// <summary>
    /// m: the expected number of clients per round, the fixed denominator of the average (McMahan et al. 2018): q·N for
    /// Poisson sampling at rate q over N clients, the sample size for fixed-size sampling. Null: divide by the number of
    /// clients that delivered an update (see <see cref="DpFedAvg"/> for when that is private).
    /// </summary>
    public double? ExpectedClients { get; init; }

    /// <summary>Adapt C each round towards the <see cref="TargetQuantile"/> of the update norms (Andrew et al. 2021).</summary>
    public bool Adaptive { get; init; }

    /// <summary>γ ∈ [0, 1]: the quantile of the update norms adaptive clipping aims for.</summary>
    public double TargetQuantile { get; init; } = AdaptiveClipping.DefaultTargetQuantile;

    /// <summary>η_C &gt; 0: the geometric learning rate of the clip norm.</summary>
    public double ClipLearningRate { get; init; } = AdaptiveClipping.DefaultLearningRate;

    /// <summary>σ_b: the noise on the clipped count; null for <see cref="AdaptiveClipping.DefaultCountNoiseStd"/>.</summary>
    public double? CountNoiseStd { get; init; }

    /// <summary>
    /// Seed of a reproducible noise stream (simulations and tests only: anyone who knows it can remove the noise);
    /// null draws from the operating system's CSPRNG.
    /// </summary>
    public long? Seed { get; init; }

    /// <summary>The options of a round plan's central-DP block.</summary>
    public static DpFedAvgOptions From(CentralDpSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new DpFedAvgOptions(settings.NoiseMultiplier, settings.ClipNorm)
        {
            ExpectedClients = settings.ExpectedClients,
            Adaptive = settings.Adaptive,
            TargetQuantile = settings.TargetQuantile,
            ClipLearningRate = settings.ClipLearningRate,
            CountNoiseStd = settings.CountNoiseStd,
            Seed = settings.Seed,
        };
    }

    /// <summary>These options as a round plan's central-DP block.</summary>
    public CentralDpSettings ToSettings() =>
        new(NoiseMultiplier, ClipNorm, Adaptive, TargetQuantile, ClipLearningRate, CountNoiseStd, ExpectedClients, Seed);

    /// <summary>The σ_b in effect: <see cref="CountNoiseStd"/>, or the default for m (or, with m unknown, z).</summary>
    public double EffectiveCountNoiseStd =>
        CountNoiseStd ?? AdaptiveClipping.DefaultCountNoiseStd(ExpectedClients ?? 0, NoiseMultiplier);

    /// <summary>The noise multiplier of the update sum: z, or with <see cref="Adaptive"/> z_Δ (see <see cref="AdaptiveClipping"/>).</summary>
    public double UpdateNoiseMultiplier =>
        Adaptive ? AdaptiveClipping.UpdateNoiseMultiplier(NoiseMultiplier, EffectiveCountNoiseStd) : NoiseMultiplier;

    /// <exception cref="ArgumentOutOfRangeException">A setting out of range; the parameter name is the property's.</exception>
    public void Validate()
    {
        if (!(NoiseMultiplier >= 0) || !double.IsFinite(NoiseMultiplier))
            throw new ArgumentOutOfRangeException(nameof(NoiseMultiplier), NoiseMultiplier, "The noise multiplier must be finite and at least 0.");
        if (!(ClipNorm > 0) || !double.IsFinite(ClipNorm))
            throw new ArgumentOutOfRangeException(nameof(ClipNorm), ClipNorm, "The clip norm must be finite and greater than 0.");
        if (ExpectedClients is { } m && (!(m > 0) || !double.IsFinite(m)))
            throw new ArgumentOutOfRangeException(nameof(ExpectedClients), m, "The expected number of clients per round must be finite and greater than 0.");
        if (!Adaptive) return;
        if (!(TargetQuantile >= 0 && TargetQuantile <= 1))
            throw new ArgumentOutOfRangeException(nameof(TargetQuantile), TargetQuantile, "The target quantile must be in [0, 1].");
        if (!(ClipLearningRate > 0) || !double.IsFinite(ClipLearningRate))
            throw new ArgumentOutOfRangeException(nameof(ClipLearningRate), ClipLearningRate, "The clip learning rate must be finite and greater than 0.");
        if (CountNoiseStd is { } sigma && (!(sigma >= 0) || !double.IsFinite(sigma)))
            throw new ArgumentOutOfRangeException(nameof(CountNoiseStd), sigma, "The count noise must be finite and at least 0.");
        var countNoise = EffectiveCountNoiseStd;
        if (NoiseMultiplier > 0 && !(2 * countNoise > NoiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(CountNoiseStd), countNoise,
                $"Adaptive clipping needs 2σ_b > z: with z = {NoiseMultiplier} the count noise σ_b must exceed {NoiseMultiplier / 2:G6}, " +
                "otherwise the clipped count alone would spend the whole budget.");
        }
    }
}
