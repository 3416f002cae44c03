using FlMicroservices.Core.Privacy;

namespace FlMicroservices.Core.Tests.Privacy;

/// <summary>
/// ε values published in the DP literature and by the reference accountants, reproduced to three significant figures.
/// Each case is also recomputed inside the test from <see cref="RenyiDivergenceQuadrature"/> (numerical integration
/// of the Rényi divergence at every order, converted with the formula written out here), which must agree with the
/// accountant to 1e-6 and pick the same best order.
/// </summary>
public class PublishedEpsilonTests
{
    /// <summary>TensorFlow Privacy's order list in its tutorials, the same as Opacus's default.</summary>
    private static readonly double[] TfOrders = [.. Enumerable.Range(1, 99).Select(x => 1 + x / 10.0), .. Enumerable.Range(12, 52).Select(x => (double)x)];

    [Fact]
    public void The_order_list_is_the_one_of_tensorflow_privacy_and_opacus()
    {
        Assert.Equal(TfOrders, RdpAccountant.DefaultOrders);
    }

    /// <summary>
    /// Abadi et al., "Deep Learning with Differential Privacy", CCS 2016, Section 3.1: for q = 0.01, σ = 4, δ = 1e-5 and
    /// T = 10000 steps the moments accountant gives ε ≈ 1.26 (strong composition: 9.34). The moments accountant is the
    /// classic RDP conversion (Mironov 2017) over the integer moments λ = 1..32, i.e. orders α = λ + 1 = 2..33.
    /// </summary>
    [Fact]
    public void Abadi_2016_moments_accountant_gives_1_26_for_q_0_01_sigma_4_over_10000_steps()
    {
        double[] momentOrders = [.. Enumerable.Range(2, 32).Select(x => (double)x)];

        var spent = Spend(4.0, 0.01, 10_000, 1e-5, RdpConversionMethod.Mironov2017, momentOrders);
        var withDefaultOrders = Spend(4.0, 0.01, 10_000, 1e-5, RdpConversionMethod.Mironov2017);

        AssertSignificant(1.26, spent.Epsilon);
        Assert.Equal(20.0, spent.BestOrder); // λ = 19
        Assert.Equal(spent, withDefaultOrders); // the extra fractional and larger orders do not help here
        AssertMatchesQuadrature(spent, 4.0, 0.01, 10_000, 1e-5, RdpConversionMethod.Mironov2017, momentOrders);
    }

    /// <summary>
    /// TensorFlow Privacy, tutorials/README.md, "Expected Output" of mnist_dpsgd_tutorial.py with its defaults:
    /// noise multiplier 1.12, batch 256 of N = 60000 (q = 256/60000), 60000 // 256 = 234 steps per epoch, δ = 1e-5,
    /// the classic conversion (the rdp_accountant of that time) and the order list above: ε = 1.00 after epoch 1,
    /// 1.04 after epoch 2 and 2.92 after epoch 60. (With noise multiplier 1.1 the 60-epoch figure would be 3.01.)
    /// </summary>
    [Theory]
    [InlineData(1, 1.00, 13.0)]
    [InlineData(2, 1.04, 13.0)]
    [InlineData(60, 2.92, 9.1)]
    public void Tensorflow_privacy_mnist_tutorial_reports_its_epsilon_per_epoch(int epochs, double published, double bestOrder)
    {
        var steps = epochs * (60_000 / 256);

        var spent = Spend(1.12, 256 / 60_000.0, steps, 1e-5, RdpConversionMethod.Mironov2017);

        AssertSignificant(published, spent.Epsilon);
        Assert.Equal(bestOrder, spent.BestOrder);
        AssertMatchesQuadrature(spent, 1.12, 256 / 60_000.0, steps, 1e-5, RdpConversionMethod.Mironov2017, TfOrders);
    }

    /// <summary>TensorFlow Privacy, tutorials/README.md, parameter table: noise 1.2 for 10 epochs gives ε = 1.20.</summary>
    [Fact]
    public void Tensorflow_privacy_parameter_table_gives_1_20_for_noise_1_2_over_10_epochs()
    {
        var spent = Spend(1.2, 256 / 60_000.0, 10 * 234, 1e-5, RdpConversionMethod.Mironov2017);

        AssertSignificant(1.20, spent.Epsilon);
        AssertMatchesQuadrature(spent, 1.2, 256 / 60_000.0, 10 * 234, 1e-5, RdpConversionMethod.Mironov2017, TfOrders);
    }

    /// <summary>
    /// The same table lists ε = 9.74 for noise 0.6 over 30 epochs. This accountant and the independent integration
    /// both give 9.747 (best order 2.9) for the tutorial's 30·234 = 7020 steps, i.e. 9.75 to three figures (9.74 would
    /// need 6998 to 7016 steps). The table's figure is therefore not reproduced and deliberately not asserted; what is
    /// asserted is the value the independent integration supports.
    /// </summary>
    [Fact]
    public void Noise_0_6_over_30_mnist_epochs_gives_9_747_not_the_tables_9_74()
    {
        var spent = Spend(0.6, 256 / 60_000.0, 30 * 234, 1e-5, RdpConversionMethod.Mironov2017);

        Assert.Equal(9.747, spent.Epsilon, 0.0005);
        Assert.Equal(2.9, spent.BestOrder);
        AssertMatchesQuadrature(spent, 0.6, 256 / 60_000.0, 30 * 234, 1e-5, RdpConversionMethod.Mironov2017, TfOrders);
    }

    /// <summary>
    /// TensorFlow Privacy, tutorials/Classification_Privacy.ipynb: compute_dp_sgd_privacy(n = 60000, batch_size = 250,
    /// noise_multiplier = 1.3, epochs = 15, delta = 1e-5) reports ε = 1.18 (steps = ⌈15·60000/250⌉ = 3600, classic conversion).
    /// </summary>
    [Fact]
    public void Tensorflow_privacy_classification_tutorial_gives_1_18_for_noise_1_3_over_15_epochs()
    {
        var spent = Spend(1.3, 250 / 60_000.0, 3600, 1e-5, RdpConversionMethod.Mironov2017);

        AssertSignificant(1.18, spent.Epsilon);
        Assert.Equal(17.0, spent.BestOrder);
        AssertMatchesQuadrature(spent, 1.3, 250 / 60_000.0, 3600, 1e-5, RdpConversionMethod.Mironov2017, TfOrders);
    }

    /// <summary>
    /// Opacus, opacus/tests/accountants_test.py, test_rdp_accountant: σ = 1.5, q = 0.04, int(90/0.04) = 2250 steps,
    /// δ = 1e-5 gives ε = 7.32911117143 with Opacus's default orders and the Balle et al. 2020 conversion.
    /// </summary>
    [Fact]
    public void Opacus_rdp_accountant_regression_value_7_329_is_reproduced()
    {
        var spent = Spend(1.5, 0.04, 2250, 1e-5, RdpConversionMethod.Balle2020);

        AssertSignificant(7.33, spent.Epsilon);
        Assert.Equal(7.32911117143, spent.Epsilon, 1e-8); // agrees with Opacus's own figure to about 1e-11 relative
        Assert.Equal(3.9, spent.BestOrder);
        AssertMatchesQuadrature(spent, 1.5, 0.04, 2250, 1e-5, RdpConversionMethod.Balle2020, TfOrders);
    }

    [Fact]
    public void The_balle_conversion_is_tighter_than_the_classic_one_on_the_same_rdp()
    {
        var balle = Spend(1.5, 0.04, 2250, 1e-5, RdpConversionMethod.Balle2020);
        var classic = Spend(1.5, 0.04, 2250, 1e-5, RdpConversionMethod.Mironov2017);

        Assert.True(balle.Epsilon < classic.Epsilon);
        AssertMatchesQuadrature(classic, 1.5, 0.04, 2250, 1e-5, RdpConversionMethod.Mironov2017, TfOrders);
    }

    private static PrivacySpent Spend(double sigma, double q, int steps, double delta, RdpConversionMethod method, double[]? orders = null)
    {
        var accountant = new RdpAccountant(orders, method);
        accountant.Step(sigma, q, steps);
        return accountant.GetEpsilon(delta);
    }

    private static void AssertSignificant(double published, double actual)
    {
        var scale = Math.Pow(10, Math.Floor(Math.Log10(Math.Abs(published))) - 2); // the third significant digit
        Assert.True(Math.Abs(actual - published) < scale / 2,
            $"ε = {actual:R} does not round to the published {published} at three significant figures");
    }

    /// <summary>ε from RDP integrated numerically at every order, converted with the formulas written out independently.</summary>
    private static void AssertMatchesQuadrature(
        PrivacySpent spent, double sigma, double q, int steps, double delta, RdpConversionMethod method, double[] orders)
    {
        var bestEpsilon = double.PositiveInfinity;
        var bestOrder = double.NaN;
        foreach (var alpha in orders)
        {
            var rdp = steps * RenyiDivergenceQuadrature.Rdp(q, sigma, alpha);
            var epsilon = method == RdpConversionMethod.Mironov2017
                ? rdp + Math.Log(1 / delta) / (alpha - 1) // Mironov 2017, Proposition 3
                : rdp + Math.Log((alpha - 1) / alpha) - (Math.Log(delta) + Math.Log(alpha)) / (alpha - 1); // Balle et al. 2020, Theorem 21
            if (epsilon < bestEpsilon) (bestEpsilon, bestOrder) = (epsilon, alpha);
        }
        Assert.True(Math.Abs(spent.Epsilon / bestEpsilon - 1) < 1e-6, $"accountant ε {spent.Epsilon:R} vs integral {bestEpsilon:R}");
        Assert.Equal(bestOrder, spent.BestOrder);
    }
}
