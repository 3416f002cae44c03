using FlMicroservices.Core.Privacy;

namespace FlMicroservices.Core.Tests.Privacy;

public class ErrorFunctionTests
{
    // Reference values: mpmath 1.3.0 (arbitrary precision, 40 digits), rounded to 18 significant digits.
    [Theory]
    [InlineData(1e-8, 0.999999988716208329)]
    [InlineData(0.1, 0.887537083981715102)]
    [InlineData(0.3, 0.671373240540872584)]
    [InlineData(0.46875, 0.507386526782062008)] // boundary of Cody's first region
    [InlineData(0.5, 0.479500122186953462)]
    [InlineData(1.0, 0.157299207050285131)]
    [InlineData(2.0, 0.00467773498104726584)]
    [InlineData(3.0, 2.20904969985854414e-5)]
    [InlineData(4.0, 1.54172579002800189e-8)] // boundary of the second region
    [InlineData(4.5, 1.96616044154288748e-10)]
    [InlineData(5.0, 1.53745979442803485e-12)]
    [InlineData(10.0, 2.08848758376254476e-45)]
    [InlineData(26.0, 5.66319240885614285e-296)]
    [InlineData(-0.2, 1.22270258921047847)]
    [InlineData(-1.0, 1.84270079294971487)]
    [InlineData(-3.0, 1.99997790950300141)]
    public void Erfc_matches_high_precision_values_to_about_one_ulp(double x, double expected)
    {
        Assert.Equal(1.0, ErrorFunction.Erfc(x) / expected, 2e-15);
        Assert.Equal(Math.Log(expected), ErrorFunction.LogErfc(x), 2e-15 * Math.Max(1, Math.Abs(Math.Log(expected))));
    }

    [Theory]
    [InlineData(27.0, -732.868886507897411)]
    [InlineData(30.0, -903.974117110643878)]
    [InlineData(100.0, -10005.1775851226643)]
    [InlineData(1e4, -100000009.78270532)]
    public void Log_erfc_stays_accurate_where_erfc_underflows(double x, double expected)
    {
        Assert.Equal(1.0, ErrorFunction.LogErfc(x) / expected, 1e-15);
    }

    [Fact]
    public void Erfc_of_minus_x_is_two_minus_erfc_of_x_and_erf_is_its_complement()
    {
        for (var x = -6.0; x <= 6.0; x += 0.0625)
        {
            Assert.Equal(2.0, ErrorFunction.Erfc(x) + ErrorFunction.Erfc(-x), 1e-15);
            Assert.Equal(1.0, ErrorFunction.Erf(x) + ErrorFunction.Erfc(x), 1e-15);
        }
        Assert.Equal(0.0, ErrorFunction.Erfc(40));
        Assert.Equal(2.0, ErrorFunction.Erfc(-40));
        Assert.Equal(double.NegativeInfinity, ErrorFunction.LogErfc(double.PositiveInfinity));
        Assert.True(double.IsNaN(ErrorFunction.Erfc(double.NaN)));
    }

    [Fact]
    public void Erfc_decreases_and_log_erfc_is_continuous_across_region_boundaries()
    {
        foreach (var boundary in new[] { 0.46875, 4.0 })
        {
            var below = ErrorFunction.LogErfc(Math.BitDecrement(boundary));
            var at = ErrorFunction.LogErfc(boundary);
            var above = ErrorFunction.LogErfc(Math.BitIncrement(boundary));
            Assert.True(below >= at && at >= above);
            Assert.Equal(below, above, 1e-14 * Math.Abs(at) + 1e-15);
        }
        var previous = double.PositiveInfinity;
        for (var x = -5.0; x <= 30.0; x += 0.01)
        {
            var value = ErrorFunction.LogErfc(x);
            Assert.True(value < previous, $"log erfc is not decreasing at {x}");
            previous = value;
        }
    }
}
