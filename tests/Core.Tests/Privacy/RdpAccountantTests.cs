using FlMicroservices.Core.Privacy;

namespace FlMicroservices.Core.Tests.Privacy;

public class RdpAccountantTests
{
    [Fact]
    public void Default_orders_are_opacus_list_of_151()
    {
        var orders = RdpAccountant.DefaultOrders;

        Assert.Equal(151, orders.Count);
        Assert.Equal(1.1, orders[0]);
        Assert.Equal(10.9, orders[98]);
        Assert.Equal(12.0, orders[99]);
        Assert.Equal(63.0, orders[^1]);
        Assert.Equal(orders, new RdpAccountant().Orders);
    }

    [Fact]
    public void T_single_steps_compose_to_one_step_of_T()
    {
        var oneByOne = new RdpAccountant();
        for (var i = 0; i < 50; i++) oneByOne.Step(1.1, 0.01);
        var atOnce = new RdpAccountant();
        atOnce.Step(1.1, 0.01, 50);

        var expected = atOnce.GetRdp();
        var actual = oneByOne.GetRdp();
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-12 * expected[i]);
        Assert.Equal(atOnce.GetEpsilon(1e-5).Epsilon, oneByOne.GetEpsilon(1e-5).Epsilon, 1e-12);
        Assert.Equal([new AccountedSteps(1.1, 0.01, 50)], oneByOne.Spent);
    }

    [Fact]
    public void Different_settings_add_their_rdp_at_every_order()
    {
        var accountant = new RdpAccountant();
        accountant.Step(1.0, 0.02, 100);
        accountant.Step(2.0, 0.1, 30);
        accountant.Step(1.0, 0.02, 5);

        var rdp = accountant.GetRdp();

        for (var i = 0; i < rdp.Length; i++)
        {
            var alpha = accountant.Orders[i];
            var expected = 105 * RdpMath.SampledGaussianRdp(0.02, 1.0, alpha) + 30 * RdpMath.SampledGaussianRdp(0.1, 2.0, alpha);
            Assert.Equal(expected, rdp[i], 1e-12 * expected);
        }
        Assert.Equal([new AccountedSteps(1.0, 0.02, 100), new AccountedSteps(2.0, 0.1, 30), new AccountedSteps(1.0, 0.02, 5)], accountant.Spent);
    }

    [Fact]
    public void A_clone_is_independent_of_its_original()
    {
        var original = new RdpAccountant(conversion: RdpConversionMethod.Mironov2017);
        original.Step(1.1, 0.01, 100);
        var before = original.GetEpsilon(1e-5);

        var clone = original.Clone();
        clone.Step(1.1, 0.01, 1000);

        Assert.Equal(before, original.GetEpsilon(1e-5));
        Assert.Single(original.Spent);
        Assert.Equal(new AccountedSteps(1.1, 0.01, 1100), Assert.Single(clone.Spent));
        Assert.True(clone.GetEpsilon(1e-5).Epsilon > before.Epsilon);
        Assert.Equal(RdpConversionMethod.Mironov2017, clone.Conversion);
    }

    [Fact]
    public void Nothing_spent_or_nothing_sampled_gives_epsilon_zero()
    {
        var empty = new RdpAccountant();
        Assert.Equal(0.0, empty.GetEpsilon(1e-5).Epsilon);
        Assert.Empty(empty.Spent);

        var unsampled = new RdpAccountant();
        unsampled.Step(1.0, 0.0, 1000);
        unsampled.Step(1.0, 0.5, 0);
        Assert.Equal(0.0, unsampled.GetEpsilon(1e-5).Epsilon);
        Assert.Equal([new AccountedSteps(1.0, 0.0, 1000)], unsampled.Spent);
    }

    [Fact]
    public void Steps_without_noise_give_infinite_epsilon()
    {
        var accountant = new RdpAccountant();
        accountant.Step(1.0, 0.01, 10);
        accountant.Step(0.0, 0.01, 1);

        Assert.Equal(double.PositiveInfinity, accountant.GetEpsilon(1e-5).Epsilon);
    }

    [Fact]
    public void More_steps_higher_sampling_or_less_noise_never_lowers_epsilon()
    {
        int[] steps = [1, 10, 100, 1000, 10_000];
        double[] rates = [0.001, 0.01, 0.05, 0.2];
        double[] noises = [0.6, 0.9, 1.3, 2.0, 4.0];
        var epsilon = new double[steps.Length, rates.Length, noises.Length];
        for (var s = 0; s < steps.Length; s++)
        {
            for (var r = 0; r < rates.Length; r++)
            {
                for (var n = 0; n < noises.Length; n++)
                {
                    var accountant = new RdpAccountant();
                    accountant.Step(noises[n], rates[r], steps[s]);
                    epsilon[s, r, n] = accountant.GetEpsilon(1e-5).Epsilon;
                }
            }
        }

        for (var s = 0; s < steps.Length; s++)
        {
            for (var r = 0; r < rates.Length; r++)
            {
                for (var n = 0; n < noises.Length; n++)
                {
                    var here = epsilon[s, r, n];
                    if (s > 0) Assert.True(here >= epsilon[s - 1, r, n], $"more steps lowered ε at {steps[s]}, {rates[r]}, {noises[n]}");
                    if (r > 0) Assert.True(here >= epsilon[s, r - 1, n], $"a higher rate lowered ε at {steps[s]}, {rates[r]}, {noises[n]}");
                    if (n > 0) Assert.True(here <= epsilon[s, r, n - 1], $"more noise raised ε at {steps[s]}, {rates[r]}, {noises[n]}");
                }
            }
        }
    }

    [Fact]
    public void A_smaller_delta_never_lowers_epsilon()
    {
        var accountant = new RdpAccountant();
        accountant.Step(1.1, 0.01, 1000);

        var previous = 0.0;
        foreach (var delta in new[] { 1e-2, 1e-3, 1e-5, 1e-7, 1e-10 })
        {
            var epsilon = accountant.GetEpsilon(delta).Epsilon;
            Assert.True(epsilon > previous);
            previous = epsilon;
        }
    }

    [Theory]
    [InlineData(-0.5, 0.01, 1, "noiseMultiplier")]
    [InlineData(double.NaN, 0.01, 1, "noiseMultiplier")]
    [InlineData(1.0, -0.01, 1, "sampleRate")]
    [InlineData(1.0, 1.01, 1, "sampleRate")]
    [InlineData(1.0, 0.01, -1, "steps")]
    public void Invalid_steps_are_rejected_naming_the_parameter_and_change_nothing(double sigma, double q, int steps, string parameter)
    {
        var accountant = new RdpAccountant();
        accountant.Step(1.0, 0.01, 10);
        var before = accountant.GetRdp();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => accountant.Step(sigma, q, steps));

        Assert.Equal(parameter, error.ParamName);
        Assert.Equal(before, accountant.GetRdp());
        Assert.Single(accountant.Spent);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Delta_outside_zero_one_is_rejected_naming_delta(double delta)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new RdpAccountant().GetEpsilon(delta));
        Assert.Equal("delta", error.ParamName);
    }

    [Fact]
    public void Orders_must_be_above_one()
    {
        Assert.Equal("orders", Assert.Throws<ArgumentOutOfRangeException>(() => new RdpAccountant([2.0, 1.0])).ParamName);
        Assert.Throws<ArgumentException>(() => new RdpAccountant([]));
    }
}
