using FlMicroservices.Core.Privacy;

namespace FlMicroservices.Core.Tests.Privacy;

public class RdpConversionTests
{
    [Fact]
    public void Each_conversion_follows_its_published_formula()
    {
        // α = 2, RDP 0.5, δ = 1e-5.
        // Mironov 2017: 0.5 + log(1e5)/1. Balle et al. 2020: 0.5 + log(1/2) − (log 1e-5 + log 2)/1.
        var classic = RdpConversion.EpsilonAtOrder(2, 0.5, 1e-5, RdpConversionMethod.Mironov2017);
        var balle = RdpConversion.EpsilonAtOrder(2, 0.5, 1e-5, RdpConversionMethod.Balle2020);

        Assert.Equal(0.5 + Math.Log(1e5), classic, 1e-14);
        Assert.Equal(0.5 + Math.Log(0.5) - (Math.Log(1e-5) + Math.Log(2)), balle, 1e-14);
    }

    [Fact]
    public void The_balle_conversion_never_exceeds_the_classic_one()
    {
        foreach (var alpha in RdpAccountant.DefaultOrders)
        {
            foreach (var rdp in new[] { 1e-6, 0.01, 1.0, 50.0 })
            {
                foreach (var delta in new[] { 1e-9, 1e-5, 0.1 })
                {
                    Assert.True(RdpConversion.EpsilonAtOrder(alpha, rdp, delta, RdpConversionMethod.Balle2020)
                        <= RdpConversion.EpsilonAtOrder(alpha, rdp, delta, RdpConversionMethod.Mironov2017));
                }
            }
        }
    }

    [Fact]
    public void The_smallest_epsilon_over_the_orders_is_reported_with_its_order()
    {
        double[] orders = [2, 4, 8];
        double[] rdp = [0.1, 0.2, 5.0];
        var candidates = orders.Select((alpha, i) => RdpConversion.EpsilonAtOrder(alpha, rdp[i], 1e-5)).ToArray();

        var spent = RdpConversion.ToEpsilon(orders, rdp, 1e-5);

        Assert.Equal(candidates.Min(), spent.Epsilon);
        Assert.Equal(4.0, spent.BestOrder); // 0.2 + ... at α = 4 beats 0.1 + 11.5... at α = 2 and 5 + ... at α = 8
    }

    [Fact]
    public void Zero_rdp_means_identical_outputs_and_infinite_rdp_no_guarantee()
    {
        Assert.Equal(new PrivacySpent(0, 2), RdpConversion.ToEpsilon([2, 3], [0, 0], 1e-5));

        var none = RdpConversion.ToEpsilon([2, 3], [double.PositiveInfinity, double.PositiveInfinity], 1e-5);

        Assert.Equal(double.PositiveInfinity, none.Epsilon);
        Assert.True(double.IsNaN(none.BestOrder));
    }

    [Fact]
    public void A_negative_conversion_result_is_reported_as_zero()
    {
        // Balle et al. at α = 2, δ = 0.5: 1e-12 + log(1/2) − (log 0.5 + log 2) = log(1/2) + 1e-12 < 0.
        Assert.Equal(0.0, RdpConversion.EpsilonAtOrder(2, 1e-12, 0.5, RdpConversionMethod.Balle2020));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-1e-5)]
    [InlineData(double.NaN)]
    public void Delta_outside_zero_one_is_rejected_naming_delta(double delta)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => RdpConversion.ToEpsilon([2.0], [0.1], delta));
        Assert.Equal("delta", error.ParamName);
    }

    [Fact]
    public void Mismatched_or_invalid_curves_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => RdpConversion.ToEpsilon([2.0, 3.0], [0.1], 1e-5));
        Assert.Throws<ArgumentException>(() => RdpConversion.ToEpsilon([], [], 1e-5));
        Assert.Equal("rdp", Assert.Throws<ArgumentOutOfRangeException>(() => RdpConversion.ToEpsilon([2.0], [-0.1], 1e-5)).ParamName);
        Assert.Equal("orders", Assert.Throws<ArgumentOutOfRangeException>(() => RdpConversion.ToEpsilon([1.0], [0.1], 1e-5)).ParamName);
    }
}
