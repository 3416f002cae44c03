namespace FlMicroservices.Core.Privacy;

/// <summary>
/// log(1 + x) and exp(x) − 1 without cancellation for small x (.NET's <c>double.LogP1</c> and <c>double.ExpM1</c>
/// compute <c>Log(1 + x)</c> and <c>Exp(x) − 1</c> directly, losing all relative precision as x → 0).
/// </summary>
/// <remarks>
/// Both use the compensation trick analysed in D. Goldberg, "What every computer scientist should know about
/// floating-point arithmetic", ACM Computing Surveys 23(1), 1991, Theorem 4 (log1p), and W. Kahan's matching
/// expm1 formula: the rounding error of forming u = 1 + x (or u = eˣ) cancels in the ratio, leaving a few ulps.
/// </remarks>
internal static class LogMath
{
    /// <summary>log(1 + x) for x ≥ −1.</summary>
    public static double Log1P(double x)
    {
        var u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsPositiveInfinity(u)) return Math.Log(u);
        return Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>eˣ − 1.</summary>
    public static double Expm1(double x)
    {
        var u = Math.Exp(x);
        if (u == 1.0) return x;
        var uMinusOne = u - 1.0;
        if (uMinusOne == -1.0 || double.IsPositiveInfinity(u)) return uMinusOne;
        return uMinusOne * x / Math.Log(u);
    }
}
