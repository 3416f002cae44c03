namespace FlMicroservices.Core.Tests.Privacy;

/// <summary>
/// An independent check of the sampled Gaussian mechanism's RDP that shares no code with the library: the Rényi
/// divergence D_α(μ‖μ₀) between μ = (1 − q)·N(0, σ²) + q·N(1, σ²) and μ₀ = N(0, σ²) by direct numerical integration.
/// </summary>
/// <remarks>
/// A_α = ∫ μ₀(z)·(1 + x(z))^α dz with x(z) = q·(exp((2z − 1)/(2σ²)) − 1) = μ(z)/μ₀(z) − 1. Since ∫ μ₀·x = 0,
/// A_α − 1 = ∫ μ₀·g(x) dz with g(x) = (1 + x)^α − 1 − α·x ≥ 0, so the integrand is non-negative and the small
/// quantity A_α − 1 is integrated directly instead of being left after a cancellation. Every value is kept as a
/// logarithm (A_α reaches e^1500 at large orders). The trapezoidal rule on a uniform grid converges exponentially for
/// an integrand analytic in a strip around the real line and negligible at both ends (L. N. Trefethen, J. A. C.
/// Weideman, "The exponentially convergent trapezoidal rule", SIAM Review 56(3), 2014); here the nearest singularity
/// (the branch point 1 + x = 0, for fractional α) lies πσ² off the axis, so a step of σ²/100 leaves an error far
/// below double precision. The grid spans 40σ beyond the bulk on either side: μ₀ is centred at 0 and μ₀·(q·r)^α,
/// the dominant part for large z, is a Gaussian centred at α, both of width σ.
/// </remarks>
internal static class RenyiDivergenceQuadrature
{
    /// <summary>RDP ε(α) = log(A_α)/(α − 1) of one step, for 0 &lt; q &lt; 1, σ &gt; 0, α &gt; 1.</summary>
    public static double Rdp(double q, double sigma, double alpha)
    {
        var h = Math.Min(sigma, sigma * sigma) / 100;
        var start = -40 * sigma - 1;
        var end = alpha + 40 * sigma + 1;
        var count = (int)Math.Ceiling((end - start) / h);
        var logIntegrand = new double[count + 1];
        var logNormal = -Math.Log(sigma * Math.Sqrt(2 * Math.PI));
        for (var k = 0; k <= count; k++)
        {
            var z = start + k * h;
            logIntegrand[k] = logNormal - z * z / (2 * sigma * sigma) + LogG(q * ExpMinusOne((2 * z - 1) / (2 * sigma * sigma)), alpha);
        }
        var logAMinusOne = Math.Log(h) + LogSumExp(logIntegrand); // end points carry weight e^-800: plain sum = trapezoid
        return LogOnePlusExp(logAMinusOne) / (alpha - 1);
    }

    /// <summary>log((1 + x)^α − 1 − α·x) for x &gt; −1.</summary>
    private static double LogG(double x, double alpha)
    {
        if (Math.Abs(x) < 0.1)
        {
            // Σ_{k≥2} C(α,k)·x^k: for |x| < 0.1 the terms shrink geometrically once k > α·|x|.
            double sum = 0, coefficient = alpha, power = x; // C(α,1), x^1
            for (var k = 2; k < 400; k++)
            {
                coefficient *= (alpha - k + 1) / k;
                power *= x;
                var term = coefficient * power;
                sum += term;
                if (Math.Abs(term) <= 1e-20 * Math.Abs(sum)) break;
            }
            return sum > 0 ? Math.Log(sum) : double.NegativeInfinity;
        }
        var logPower = alpha * Math.Log(1 + x);
        if (logPower < 600) return Math.Log(Math.Exp(logPower) - 1 - alpha * x);
        return logPower + Math.Log(1 - (1 + alpha * x) * Math.Exp(-logPower));
    }

    private static double ExpMinusOne(double t) =>
        Math.Abs(t) < 1e-5 ? t * (1 + t / 2 * (1 + t / 3)) : Math.Exp(t) - 1;

    /// <summary>log(1 + e^y) without loss for small e^y or overflow for large y.</summary>
    private static double LogOnePlusExp(double y)
    {
        if (y > 40) return y + Math.Exp(-y);
        var u = Math.Exp(y);
        if (u >= 0.01) return Math.Log(1 + u);
        // log(1 + u) = u − u²/2 + u³/3 − …; twelve terms leave less than u¹³/13 < 1e-26.
        double sum = 0, power = 1;
        for (var k = 1; k <= 12; k++)
        {
            power *= -u;
            sum -= power / k;
        }
        return sum;
    }

    private static double LogSumExp(double[] values)
    {
        var max = values.Max();
        var sum = 0.0;
        foreach (var value in values) sum += Math.Exp(value - max);
        return max + Math.Log(sum);
    }
}
