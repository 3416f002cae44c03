using FlMicroservices.Core.Privacy.Dp;

namespace FlMicroservices.Core.Async;

/// <summary>
/// Central differential privacy for <see cref="FedBuffBuffer"/>: every update clipped to <see cref="ClipNorm"/> in L2 and
/// weighted 1, at most one per client per version, and N(0, (z C / K)²) noise on each coordinate of the mean.
/// </summary>
/// <param name="ClipNorm">C, the L2 bound on one update.</param>
/// <param name="NoiseMultiplier">z: the noise on the sum is z C.</param>
/// <param name="Noise">The noise's source (owned by the caller).</param>
public sealed record FedBuffPrivacy(double ClipNorm, double NoiseMultiplier, GaussianNoise Noise)
{
    /// <summary>The checked settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">C or z is not a finite number greater than 0.</exception>
    public FedBuffPrivacy Validate()
    {
        ArgumentNullException.ThrowIfNull(Noise);
        if (!(ClipNorm > 0) || !double.IsFinite(ClipNorm))
            throw new ArgumentOutOfRangeException(nameof(ClipNorm), ClipNorm, "The clip norm must be a finite number greater than 0.");
        if (!(NoiseMultiplier > 0) || !double.IsFinite(NoiseMultiplier))
            throw new ArgumentOutOfRangeException(nameof(NoiseMultiplier), NoiseMultiplier, "The noise multiplier must be a finite number greater than 0.");
        return this;
    }
}
