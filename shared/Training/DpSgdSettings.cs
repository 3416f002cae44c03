namespace FlMicroservices.Training;

/// <summary>
/// DP-SGD (M. Abadi, A. Chu, I. Goodfellow, H. B. McMahan, I. Mironov, K. Talwar, L. Zhang, "Deep Learning with
/// Differential Privacy", CCS 2016, Algorithm 1) for a client's local training: each example's gradient is clipped to L2
/// norm <see cref="ClipNorm"/>, Gaussian noise N(0, σ²C²) is added to the sum of the clipped gradients of every batch, and
/// the result is divided by the batch size.
/// </summary>
/// <param name="NoiseMultiplier">σ: noise standard deviation over the clip norm, finite and at least 0.</param>
/// <param name="ClipNorm">C: the largest L2 norm one example's gradient keeps; greater than 0 (+∞, no clipping, only with σ = 0).</param>
public sealed record DpSgdSettings(double NoiseMultiplier, double ClipNorm)
{
    /// <summary>
    /// Seed of a reproducible noise stream (simulations and tests only: whoever knows it can remove the noise); null draws
    /// from the operating system's CSPRNG, as a real client must.
    /// </summary>
    public long? NoiseSeed { get; init; }

    /// <summary>How per-example gradients are computed (<see cref="PerSampleGradientMode.Auto"/>: vectorised where the model allows).</summary>
    public PerSampleGradientMode Mode { get; init; } = PerSampleGradientMode.Auto;

    /// <summary>The problems with these settings, each naming the setting (empty when valid).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!(NoiseMultiplier >= 0) || !double.IsFinite(NoiseMultiplier))
            problems.Add($"DpSgd.NoiseMultiplier {NoiseMultiplier} must be finite and at least 0");
        if (!(ClipNorm > 0)) problems.Add($"DpSgd.ClipNorm {ClipNorm} must be greater than 0");
        else if (double.IsPositiveInfinity(ClipNorm) && NoiseMultiplier > 0)
            problems.Add($"DpSgd.ClipNorm must be finite when DpSgd.NoiseMultiplier is {NoiseMultiplier}: the noise is σ·C");
        if (!Enum.IsDefined(Mode)) problems.Add($"DpSgd.Mode {Mode} is unknown");
        return problems;
    }
}

/// <summary>How DP-SGD computes each example's gradient.</summary>
public enum PerSampleGradientMode
{
    /// <summary><see cref="Vectorised"/> for models made of Linear, ReLU and Flatten layers (logreg, mlp); <see cref="MicroBatch"/> otherwise.</summary>
    Auto,

    /// <summary>One backward pass per batch, per-example gradients of every Linear layer from its inputs and output gradients.</summary>
    Vectorised,

    /// <summary>One forward and backward pass per example (micro-batches of 1): any model, about batch-size times the work.</summary>
    MicroBatch,
}
