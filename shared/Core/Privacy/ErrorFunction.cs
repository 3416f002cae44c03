namespace FlMicroservices.Core.Privacy;

/// <summary>
/// The complementary error function erfc(x) = (2/√π) ∫ₓ^∞ e^(−t²) dt and its logarithm, to about 1e-16 relative error.
/// </summary>
/// <remarks>Design notes: docs/privacy.md, "Notes: ErrorFunction".</remarks>
public static class ErrorFunction
{
    private const double SmallRegionEnd = 0.46875;
    private const double MiddleRegionEnd = 4.0;
    private const double InverseSqrtPi = 0.56418958354775628695;

    // |x| <= 0.46875: erf(x) = x * (A0 + A1 y + A2 y^2 + A3 y^3 + A4 y^4) / (B0 + B1 y + B2 y^2 + B3 y^3 + y^4), y = x^2.
    private static readonly double[] SmallNumerator =
        [3.20937758913846947e03, 3.77485237685302021e02, 1.13864154151050156e02, 3.16112374387056560e00, 1.85777706184603153e-1];
    private static readonly double[] SmallDenominator =
        [2.84423683343917062e03, 1.28261652607737228e03, 2.44024637934444173e02, 2.36012909523441209e01, 1.0];

    // 0.46875 < x <= 4: erfc(x) e^(x^2) = sum C_k x^k / sum D_k x^k (ascending powers, leading D = 1).
    private static readonly double[] MiddleNumerator =
    [
        1.23033935479799725e03, 2.05107837782607147e03, 1.71204761263407058e03, 8.81952221241769090e02,
        2.98635138197400131e02, 6.61191906371416295e01, 8.88314979438837594e00, 5.64188496988670089e-1,
        2.15311535474403846e-8,
    ];
    private static readonly double[] MiddleDenominator =
    [
        1.23033935480374942e03, 3.43936767414372164e03, 4.36261909014324716e03, 3.29079923573345963e03,
        1.62138957456669019e03, 5.37181101862009858e02, 1.17693950891312499e02, 1.57449261107098347e01, 1.0,
    ];

    // x > 4: erfc(x) x e^(x^2) = 1/sqrt(pi) - z * sum P_k z^k / sum Q_k z^k, z = 1/x^2.
    private static readonly double[] LargeNumerator =
    [
        6.58749161529837803e-4, 1.60837851487422766e-2, 1.25781726111229246e-1, 3.60344899949804439e-1,
        3.05326634961232344e-1, 1.63153871373020978e-2,
    ];
    private static readonly double[] LargeDenominator =
    [
        2.33520497626869185e-3, 6.05183413124413191e-2, 5.27905102951428412e-1, 1.87295284992346725e00,
        2.56852019228982242e00, 1.0,
    ];

    /// <summary>The error function erf(x) = 1 − erfc(x), accurate near zero (no cancellation for |x| ≤ 0.46875).</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        var y = Math.Abs(x);
        if (y <= SmallRegionEnd) return SmallErf(x);
        var erfcY = PositiveErfc(y);
        return x > 0 ? 1.0 - erfcY : erfcY - 1.0;
    }

    /// <summary>The complementary error function erfc(x); it underflows to 0 for x above about 26.5.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        var y = Math.Abs(x);
        if (y <= SmallRegionEnd) return 1.0 - SmallErf(x);
        var erfcY = PositiveErfc(y);
        return x > 0 ? erfcY : 2.0 - erfcY;
    }

    /// <summary>log(erfc(x)), finite for every finite x: about −x² − log(x√π) for large x.</summary>
    public static double LogErfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x == double.PositiveInfinity) return double.NegativeInfinity;
        if (x <= SmallRegionEnd) return Math.Log(Erfc(x));
        if (x <= MiddleRegionEnd) return LogExpMinusSquare(x) + Math.Log(MiddleRatio(x));
        return LogExpMinusSquare(x) + Math.Log(LargeFactor(x) / x);
    }

    private static double SmallErf(double x)
    {
        var ySquared = x * x;
        return x * Polynomial(SmallNumerator, ySquared) / Polynomial(SmallDenominator, ySquared);
    }

    /// <summary>erfc(y) for y &gt; 0.46875.</summary>
    private static double PositiveErfc(double y)
    {
        if (y <= MiddleRegionEnd) return ExpMinusSquare(y) * MiddleRatio(y);
        // Beyond this erfc(y) < 1e-323: it is 0 in double precision (and y*y would lose all meaning).
        if (y >= 27.3) return 0.0;
        return ExpMinusSquare(y) * LargeFactor(y) / y;
    }

    private static double MiddleRatio(double y) => Polynomial(MiddleNumerator, y) / Polynomial(MiddleDenominator, y);

    private static double LargeFactor(double y)
    {
        var z = 1.0 / (y * y);
        return InverseSqrtPi - z * Polynomial(LargeNumerator, z) / Polynomial(LargeDenominator, z);
    }

    /// <summary>e^(−y²) as e^(−u²)·e^(−(y−u)(y+u)) with u = ⌊16y⌋/16: u² is exact, so x²'s rounding is not exponentiated.</summary>
    private static double ExpMinusSquare(double y)
    {
        var u = Math.Floor(y * 16.0) / 16.0;
        return Math.Exp(-u * u) * Math.Exp(-(y - u) * (y + u));
    }

    private static double LogExpMinusSquare(double y)
    {
        var u = Math.Floor(y * 16.0) / 16.0;
        return -(u * u) - (y - u) * (y + u);
    }

    /// <summary>Horner evaluation of c[0] + c[1]·t + … + c[n]·tⁿ.</summary>
    private static double Polynomial(double[] coefficients, double t)
    {
        var sum = coefficients[^1];
        for (var k = coefficients.Length - 2; k >= 0; k--) sum = sum * t + coefficients[k];
        return sum;
    }
}
