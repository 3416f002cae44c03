using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

public class FedAdagradTests
{
    [Fact]
    public void Two_rounds_follow_algorithm_2_of_reddi_et_al()
    {
        var strategy = new FedAdagrad(); // eta 0.1, beta1 0.9, tau 1e-9; m0 = 0, v0 = tau^2 = 1e-18

        var (x1, x2) = TwoRoundScenario.Run(strategy);

        // Round 1, D1 = [-0.5, 1, 0]:
        //   m1 = 0.1 * D1 = [-0.05, 0.1, 0]
        //   v1 = 1e-18 + D1^2 = [0.25, 1, 1e-18]
        //   x1 = x0 + 0.1 * m1 / (sqrt(v1) + 1e-9) = [1 + 0.1 * -0.05 / 0.5, 2 + 0.1 * 0.1 / 1, 3] = [0.99, 2.01, 3]
        LinearRounds.Near([0.99f, 2.01f, 3f], x1);
        // Round 2, D2 = [0.025, -0.5, 0.1]:
        //   m2 = 0.9 * m1 + 0.1 * D2 = [-0.0425, 0.04, 0.01]; v2 = v1 + D2^2 = [0.250625, 1.25, 0.01]
        //   x2 = x1 + 0.1 * m2 / (sqrt(v2) + 1e-9) = [0.99 - 0.0084894, 2.01 + 0.0035777, 3 + 0.01]
        LinearRounds.Near([-0.0425f, 0.04f, 0.01f], strategy.FirstMoment.ToArray());
        LinearRounds.Near([0.250625f, 1.25f, 0.01f], strategy.SecondMoment.ToArray());
        LinearRounds.Near([0.9815106f, 2.0135777f, 3.01f], x2);
    }

    [Fact]
    public void Without_momentum_each_first_step_is_eta_times_the_sign_of_the_delta()
    {
        // beta1 = 0: m = D, v = tau^2 + D^2, so the step is eta * D / (|D| + tau), about eta * sign(D).
        var strategy = new FedAdagrad(eta: 0.5, beta1: 0);
        var round = strategy.BeginRound(3, 3);
        round.Fold("a", 0, [4f, -0.001f, 0f], 7);
        var x = new float[3];

        round.Finish([1f, 1f, 1f], x);

        LinearRounds.Near([1.5f, 0.5f, 1f], x);
    }

    [Theory]
    [InlineData(0, 0.9, 1e-9, "eta")]
    [InlineData(0.1, 1, 1e-9, "beta1")]
    [InlineData(0.1, 0.9, double.PositiveInfinity, "tau")]
    public void Out_of_range_parameters_are_refused_by_name(double eta, double beta1, double tau, string parameter)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdagrad(eta, beta1, tau));

        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void Defaults_are_the_papers()
    {
        var strategy = new FedAdagrad();

        Assert.Equal("fedadagrad", strategy.Name);
        Assert.Equal((0.1, 0.9, 1e-9), (strategy.Eta, strategy.Beta1, strategy.Tau));
    }
}
