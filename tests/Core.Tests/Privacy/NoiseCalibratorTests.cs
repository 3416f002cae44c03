using FlMicroservices.Core.Privacy;

namespace FlMicroservices.Core.Tests.Privacy;

public class NoiseCalibratorTests
{
    private static double Epsilon(double sigma, double q, int steps, double delta)
    {
        var accountant = new RdpAccountant();
        accountant.Step(sigma, q, steps);
        return accountant.GetEpsilon(delta).Epsilon;
    }

    [Theory]
    [InlineData(8.0, 0.04, 2250, 1e-5)]
    [InlineData(1.0, 0.01, 10_000, 1e-5)]
    [InlineData(3.0, 256 / 60_000.0, 14_040, 1e-5)]
    [InlineData(0.5, 0.001, 1000, 1e-6)]
    [InlineData(10.0, 0.1, 100, 1e-3)]
    [InlineData(2.0, 1.0, 1, 1e-5)]
    public void The_noise_meets_the_target_and_one_percent_less_does_not(double target, double q, int steps, double delta)
    {
        var sigma = NoiseCalibrator.FindNoiseMultiplier(target, q, steps, delta);

        Assert.True(Epsilon(sigma, q, steps, delta) <= target);
        Assert.True(Epsilon(sigma * 0.99, q, steps, delta) > target);
    }

    [Fact]
    public void A_tighter_tolerance_narrows_the_noise_from_above()
    {
        var coarse = NoiseCalibrator.FindNoiseMultiplier(4.0, 0.02, 5000, 1e-5, tolerance: 0.05);
        var fine = NoiseCalibrator.FindNoiseMultiplier(4.0, 0.02, 5000, 1e-5, tolerance: 1e-6);

        Assert.True(fine <= coarse);
        Assert.True(Epsilon(fine, 0.02, 5000, 1e-5) <= 4.0);
        Assert.True(Epsilon(fine * (1 - 1e-6), 0.02, 5000, 1e-5) > 4.0);
    }

    /// <summary>
    /// Opacus, opacus/tests/accountants_test.py: get_noise_multiplier(target ε = 8, δ = 1e-5, q = 0.04) returns 1.416
    /// for 90 epochs (2250 steps) and 1.3562 for 2000 steps. Opacus bisects until ε is within 0.01 below the target,
    /// so at its σ our accountant must give ε in (7.99, 8], and our exact crossing lies just below its σ.
    /// </summary>
    [Theory]
    [InlineData(2250, 1.416)]
    [InlineData(2000, 1.3562)]
    public void Opacus_calibrated_noise_multipliers_give_epsilon_just_under_8(int steps, double opacusSigma)
    {
        var epsilon = Epsilon(opacusSigma, 0.04, steps, 1e-5);
        var crossing = NoiseCalibrator.FindNoiseMultiplier(8.0, 0.04, steps, 1e-5, tolerance: 1e-9);

        Assert.InRange(epsilon, 7.99, 8.0);
        Assert.InRange(crossing, opacusSigma * 0.995, opacusSigma);
    }

    [Fact]
    public void A_tolerance_below_double_precision_ends_at_adjacent_values_instead_of_looping()
    {
        var sigma = NoiseCalibrator.FindNoiseMultiplier(1.0, 0.01, 100, 1e-5, tolerance: 1e-20);

        var coarser = NoiseCalibrator.FindNoiseMultiplier(1.0, 0.01, 100, 1e-5, tolerance: 1e-12);

        Assert.True(Epsilon(sigma, 0.01, 100, 1e-5) <= 1.0);
        Assert.InRange(sigma, coarser * (1 - 2e-12), coarser);
    }

    [Fact]
    public void A_budget_below_what_any_noise_reaches_is_a_clear_error()
    {
        // With orders up to 63 and δ = 1e-5 even infinite noise leaves ε ≈ 0.103 after the Balle et al. conversion.
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => NoiseCalibrator.FindNoiseMultiplier(0.05, 0.01, 100, 1e-5));

        Assert.Equal("targetEpsilon", error.ParamName);
        Assert.Contains("however much noise", error.Message);
    }

    [Fact]
    public void Nothing_sampled_or_no_steps_needs_no_noise()
    {
        Assert.Equal(0.0, NoiseCalibrator.FindNoiseMultiplier(1.0, 0.0, 100, 1e-5));
        Assert.Equal(0.0, NoiseCalibrator.FindNoiseMultiplier(1.0, 0.1, 0, 1e-5));
    }

    [Theory]
    [InlineData(0.0, 0.01, 100, 1e-5, 0.01, "targetEpsilon")]
    [InlineData(double.NaN, 0.01, 100, 1e-5, 0.01, "targetEpsilon")]
    [InlineData(1.0, 1.5, 100, 1e-5, 0.01, "sampleRate")]
    [InlineData(1.0, 0.01, -1, 1e-5, 0.01, "steps")]
    [InlineData(1.0, 0.01, 100, 0.0, 0.01, "delta")]
    [InlineData(1.0, 0.01, 100, 1e-5, 0.0, "tolerance")]
    [InlineData(1.0, 0.01, 100, 1e-5, 1.0, "tolerance")]
    public void Invalid_inputs_are_rejected_naming_the_parameter(double target, double q, int steps, double delta, double tolerance, string parameter)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => NoiseCalibrator.FindNoiseMultiplier(target, q, steps, delta, tolerance));
        Assert.Equal(parameter, error.ParamName);
    }
}
