namespace FlMicroservices.Core.Data;

/// <summary>Normal, log-normal, gamma and Dirichlet draws on top of a caller-seeded <see cref="Random"/>, so generators stay reproducible.</summary>
/// <remarks>
/// Every method consumes only <see cref="Random.NextDouble"/>, so a stream is fully determined by the seed
/// and by the sequence of calls made on it.
/// </remarks>
public static class RandomExtensions
{
    /// <summary>A normal draw with the given mean and standard deviation (Marsaglia's polar method).</summary>
    /// <remarks>
    /// The polar method produces two independent normals per accepted pair. The second is discarded: an extension
    /// method has nowhere to keep it except shared state, and cached state would make one caller's values depend
    /// on what another caller drew from the same stream.
    /// </remarks>
    public static double NextNormal(this Random rng, double mean = 0, double std = 1)
    {
        ArgumentNullException.ThrowIfNull(rng);
        RequireFinite(mean, nameof(mean));
        RequireNonNegative(std, nameof(std));
        return mean + std * StandardNormal(rng);
    }

    /// <summary>A log-normal draw: exp of a normal with mean <paramref name="mu"/> and standard deviation <paramref name="sigma"/>.</summary>
    public static double NextLogNormal(this Random rng, double mu, double sigma)
    {
        ArgumentNullException.ThrowIfNull(rng);
        RequireFinite(mu, nameof(mu));
        RequireNonNegative(sigma, nameof(sigma));
        return Math.Exp(mu + sigma * StandardNormal(rng));
    }

    /// <summary>A Gamma(<paramref name="shape"/>, <paramref name="scale"/>) draw (mean shape x scale) by Marsaglia and Tsang's method.</summary>
    /// <remarks>
    /// Marsaglia-Tsang needs shape >= 1; smaller shapes use the boost G(a) = G(a + 1) U^(1/a).
    /// For very small shapes the true value can be below the smallest double, so the result may be exactly 0;
    /// <see cref="NextDirichlet(Random, double, int)"/> works in log space to avoid that.
    /// </remarks>
    public static double NextGamma(this Random rng, double shape, double scale = 1)
    {
        ArgumentNullException.ThrowIfNull(rng);
        RequirePositive(shape, nameof(shape));
        RequirePositive(scale, nameof(scale));
        var draw = shape >= 1 ? MarsagliaTsang(rng, shape) : Math.Exp(LogGamma(rng, shape));
        return draw * scale;
    }

    /// <summary>A draw from the symmetric Dirichlet distribution of dimension <paramref name="k"/> with concentration <paramref name="alpha"/>.</summary>
    public static double[] NextDirichlet(this Random rng, double alpha, int k)
    {
        ArgumentNullException.ThrowIfNull(rng);
        RequirePositive(alpha, nameof(alpha));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var result = new double[k];
        for (var i = 0; i < k; i++)
            result[i] = LogGamma(rng, alpha);
        NormalizeFromLogs(result);
        return result;
    }

    /// <summary>A draw from the Dirichlet distribution with one concentration per component.</summary>
    public static double[] NextDirichlet(this Random rng, ReadOnlySpan<double> alphas)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (alphas.IsEmpty)
            throw new ArgumentException("A Dirichlet distribution needs at least one component.", nameof(alphas));
        foreach (var alpha in alphas)
            RequirePositive(alpha, nameof(alphas));
        var result = new double[alphas.Length];
        for (var i = 0; i < alphas.Length; i++)
            result[i] = LogGamma(rng, alphas[i]);
        NormalizeFromLogs(result);
        return result;
    }

    private static double StandardNormal(Random rng)
    {
        while (true)
        {
            var u = 2 * rng.NextDouble() - 1;
            var v = 2 * rng.NextDouble() - 1;
            var s = u * u + v * v;
            if (s > 0 && s < 1)
                return u * Math.Sqrt(-2 * Math.Log(s) / s);
        }
    }

    private static double MarsagliaTsang(Random rng, double shape)
    {
        var d = shape - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = StandardNormal(rng);
                v = 1 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            var u = rng.NextDouble();
            var x2 = x * x;
            // The cheap squeeze accepts ~98% of candidates without evaluating logarithms.
            if (u < 1 - 0.0331 * x2 * x2)
                return d * v;
            if (Math.Log(u) < 0.5 * x2 + d * (1 - v + Math.Log(v)))
                return d * v;
        }
    }

    // Log of a Gamma(shape, 1) draw; the boost for shape < 1 stays finite in log space even when U^(1/shape) underflows.
    private static double LogGamma(Random rng, double shape)
    {
        if (shape >= 1)
            return Math.Log(MarsagliaTsang(rng, shape));
        var uniform = 1 - rng.NextDouble(); // (0, 1], so the logarithm is finite
        return Math.Log(MarsagliaTsang(rng, shape + 1)) + Math.Log(uniform) / shape;
    }

    // Subtracting the maximum makes the largest term exactly 1, so the sum can neither underflow to 0 nor overflow.
    private static void NormalizeFromLogs(double[] logs)
    {
        var max = logs.Max();
        var sum = 0.0;
        for (var i = 0; i < logs.Length; i++)
        {
            logs[i] = Math.Exp(logs[i] - max);
            sum += logs[i];
        }
        for (var i = 0; i < logs.Length; i++)
            logs[i] /= sum;
    }

    private static void RequireFinite(double value, string name)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, "Must be a finite number.");
    }

    private static void RequireNonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, "Must be a finite number >= 0.");
    }

    private static void RequirePositive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
            throw new ArgumentOutOfRangeException(name, value, "Must be a finite number > 0.");
    }
}
