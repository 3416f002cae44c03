using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

public class FedYogiTests
{
    [Fact]
    public void Two_rounds_follow_algorithm_2_of_reddi_et_al()
    {
        var strategy = new FedYogi(); // eta 0.1, beta1 0.9, beta2 0.99, tau 1e-9; m0 = 0, v0 = tau^2 = 1e-18

        var (x1, x2) = TwoRoundScenario.Run(strategy);

        // Round 1, D1 = [-0.5, 1, 0], D1^2 = [0.25, 1, 0]:
        //   m1 = 0.1 * D1 = [-0.05, 0.1, 0]
        //   v1 = v0 - 0.01 * D1^2 * sign(v0 - D1^2) = [1e-18 + 0.0025, 1e-18 + 0.01, 1e-18 - 0] = [0.0025, 0.01, 1e-18]
        //   (the third parameter: 1e-18 - 0 > 0, so sign is +1, but 0.01 * 0 removes nothing)
        //   x1 = x0 + 0.1 * m1 / (sqrt(v1) + 1e-9) = [0.9, 2.1, 3]
        LinearRounds.Near([0.9f, 2.1f, 3f], x1);
        // Round 2, D2 = [0.025, -0.5, 0.1], D2^2 = [0.000625, 0.25, 0.01]:
        //   v1 > D2^2 for the first parameter, so v shrinks: 0.0025 - 0.01 * 0.000625 = 0.00249375;
        //   v1 < D2^2 for the others, so v grows: [0.01 + 0.0025, 1e-18 + 0.0001] = [0.0125, 0.0001]
        //   m2 = [-0.0425, 0.04, 0.01]; x2 = x1 + 0.1 * m2 / (sqrt(v2) + 1e-9) = [0.9 - 0.0851064, 2.1 + 0.0357771, 3.1]
        LinearRounds.Near([0.00249375f, 0.0125f, 0.0001f], strategy.SecondMoment.ToArray(), 1e-9f);
        LinearRounds.Near([0.8148936f, 2.1357771f, 3.1f], x2);
    }

    [Fact]
    public void Where_v_equals_the_squared_delta_v_stays()
    {
        var strategy = new FedYogi(tau: 0.5); // v0 = 0.25
        var round = strategy.BeginRound(1, 1);
        round.Fold("a", 0, [0.5f], 1); // D^2 = 0.25 = v0: sign(0) = 0

        round.Finish([0f], new float[1]);

        Assert.Equal(0.25f, strategy.SecondMoment[0]);
    }

    [Theory]
    [InlineData(-1, 0.9, 0.99, 1e-9, "eta")]
    [InlineData(0.1, double.NaN, 0.99, 1e-9, "beta1")]
    [InlineData(0.1, 0.9, 1.5, 1e-9, "beta2")]
    [InlineData(0.1, 0.9, 0.99, -1e-9, "tau")]
    public void Out_of_range_parameters_are_refused_by_name(double eta, double beta1, double beta2, double tau, string parameter)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FedYogi(eta, beta1, beta2, tau));

        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void Defaults_are_the_papers()
    {
        var strategy = new FedYogi();

        Assert.Equal("fedyogi", strategy.Name);
        Assert.Equal((0.1, 0.9, 0.99, 1e-9), (strategy.Eta, strategy.Beta1, strategy.Beta2, strategy.Tau));
    }
}
