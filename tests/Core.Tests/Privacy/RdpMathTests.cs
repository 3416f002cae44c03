using FlMicroservices.Core.Privacy;

namespace FlMicroservices.Core.Tests.Privacy;

public class RdpMathTests
{
    public static TheoryData<double, double, double> MechanismsAndOrders()
    {
        var data = new TheoryData<double, double, double>();
        foreach (var (q, sigma) in new[] { (0.01, 1.1), (0.001, 0.8), (0.1, 2.0), (0.5, 5.0) })
        {
            foreach (var alpha in new[] { 2.0, 8.0, 32.0, 1.5, 5.5, 20.3 })
                data.Add(q, sigma, alpha);
        }
        return data;
    }

    /// <summary>
    /// The core check: the closed forms (integer orders) and the erfc series (fractional orders) of Mironov, Talwar,
    /// Zhang 2019 agree with a direct numerical integration of the Rényi divergence that shares no code with them.
    /// The agreement observed is about 1e-10 relative or better (the integration itself agrees with 40-digit mpmath
    /// quadrature to 1e-14); the bound asserted is 1e-8.
    /// </summary>
    [Theory]
    [MemberData(nameof(MechanismsAndOrders))]
    public void Rdp_matches_direct_integration_of_the_renyi_divergence(double q, double sigma, double alpha)
    {
        var expected = RenyiDivergenceQuadrature.Rdp(q, sigma, alpha);

        var rdp = RdpMath.SampledGaussianRdp(q, sigma, alpha);

        Assert.True(Math.Abs(rdp / expected - 1) < 1e-8, $"RDP {rdp:R} vs integral {expected:R} (q={q}, σ={sigma}, α={alpha})");
    }

    [Theory]
    [InlineData(0.04, 1.5, 1.1)]
    [InlineData(0.004266666666666667, 1.12, 9.1)]
    [InlineData(0.3, 1.0, 1.9)]
    [InlineData(0.99, 3.0, 7.7)]
    [InlineData(0.5, 0.7, 62.5)]
    public void Rdp_matches_direct_integration_at_further_fractional_orders(double q, double sigma, double alpha)
    {
        var expected = RenyiDivergenceQuadrature.Rdp(q, sigma, alpha);

        Assert.True(Math.Abs(RdpMath.SampledGaussianRdp(q, sigma, alpha) / expected - 1) < 1e-8);
    }

    [Theory]
    [InlineData(1.0, 2.0)]
    [InlineData(0.5, 8.0)]
    [InlineData(4.0, 1.5)]
    [InlineData(2.0, 32.0)]
    [InlineData(0.8, 20.3)]
    public void Without_subsampling_the_rdp_is_the_gaussian_mechanisms_alpha_over_two_sigma_squared(double sigma, double alpha)
    {
        Assert.Equal(alpha / (2 * sigma * sigma), RdpMath.SampledGaussianRdp(1.0, sigma, alpha));
    }

    [Fact]
    public void No_sampling_costs_nothing_and_no_noise_costs_everything()
    {
        Assert.Equal(0.0, RdpMath.SampledGaussianRdp(0.0, 1.0, 2.5));
        Assert.Equal(0.0, RdpMath.SampledGaussianRdp(0.0, 0.0, 2.5));
        Assert.Equal(double.PositiveInfinity, RdpMath.SampledGaussianRdp(0.01, 0.0, 2.5));
        Assert.Equal(double.PositiveInfinity, RdpMath.SampledGaussianRdp(1.0, 0.0, 8));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(20)]
    [InlineData(63)]
    public void The_fractional_series_at_an_integer_order_terminates_at_the_binomial_sum(int alpha)
    {
        foreach (var (q, sigma) in new[] { (0.01, 1.1), (0.5, 5.0), (0.001, 0.8), (0.2, 0.6) })
        {
            var binomial = RdpMath.LogMomentInteger(q, sigma, alpha);
            var series = RdpMath.LogMomentSeries(q, sigma, alpha);
            Assert.True(Math.Abs(series - binomial) <= 1e-14 * Math.Max(1, Math.Abs(binomial)) + 1e-15,
                $"series {series:R} vs binomial {binomial:R} at α = {alpha}, q = {q}, σ = {sigma}");
        }
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(8.0)]
    [InlineData(12.0)]
    public void The_rdp_is_continuous_across_integer_orders(double alpha)
    {
        var atInteger = RdpMath.SampledGaussianRdp(0.01, 1.1, alpha);
        var below = RdpMath.SampledGaussianRdp(0.01, 1.1, alpha - 1e-9);
        var above = RdpMath.SampledGaussianRdp(0.01, 1.1, alpha + 1e-9);

        Assert.True(below <= atInteger && atInteger <= above);
        Assert.Equal(1.0, below / above, 1e-6);
    }

    [Fact]
    public void The_rdp_grows_with_the_order()
    {
        var rdp = RdpMath.SampledGaussianRdp(0.02, 1.0, RdpAccountant.DefaultOrders);

        for (var i = 1; i < rdp.Length; i++) Assert.True(rdp[i] > rdp[i - 1], $"RDP falls at order {RdpAccountant.DefaultOrders[i]}");
    }

    [Theory]
    [InlineData(-0.1, 1.0, 2.0, "sampleRate")]
    [InlineData(1.1, 1.0, 2.0, "sampleRate")]
    [InlineData(double.NaN, 1.0, 2.0, "sampleRate")]
    [InlineData(0.1, -1.0, 2.0, "noiseMultiplier")]
    [InlineData(0.1, double.NaN, 2.0, "noiseMultiplier")]
    [InlineData(0.1, 1.0, 1.0, "order")]
    [InlineData(0.1, 1.0, 0.5, "order")]
    [InlineData(0.1, 1.0, double.PositiveInfinity, "order")]
    public void Out_of_range_inputs_are_rejected_naming_the_parameter(double q, double sigma, double alpha, string parameter)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => RdpMath.SampledGaussianRdp(q, sigma, alpha));
        Assert.Equal(parameter, error.ParamName);
    }
}
