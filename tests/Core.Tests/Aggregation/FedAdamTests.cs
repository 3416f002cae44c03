using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

public class FedAdamTests
{
    [Fact]
    public void Two_rounds_follow_algorithm_2_of_reddi_et_al()
    {
        var strategy = new FedAdam(); // eta 0.1, beta1 0.9, beta2 0.99, tau 1e-9; m0 = 0, v0 = tau^2 = 1e-18

        var (x1, x2) = TwoRoundScenario.Run(strategy);

        // Round 1, D1 = [-0.5, 1, 0]:
        //   m1 = 0.9 * 0 + 0.1 * D1 = [-0.05, 0.1, 0]
        //   v1 = 0.99 * 1e-18 + 0.01 * D1^2 = [0.0025, 0.01, 9.9e-19] (the 1e-18 vanishes next to 0.0025 and 0.01)
        //   x1 = x0 + 0.1 * m1 / (sqrt(v1) + 1e-9) = [1 + 0.1 * -0.05 / 0.05, 2 + 0.1 * 0.1 / 0.1, 3 + 0] = [0.9, 2.1, 3]
        LinearRounds.Near([0.9f, 2.1f, 3f], x1);
        // Round 2, D2 = [0.025, -0.5, 0.1]:
        //   m2 = 0.9 * m1 + 0.1 * D2 = [-0.0425, 0.04, 0.01]
        //   v2 = 0.99 * v1 + 0.01 * D2^2 = [0.00248125, 0.0124, 0.0001]
        //   x2 = x1 + 0.1 * m2 / (sqrt(v2) + 1e-9) = [0.9 - 0.0853205, 2.1 + 0.0359211, 3 + 0.1]
        LinearRounds.Near([-0.0425f, 0.04f, 0.01f], strategy.FirstMoment.ToArray());
        LinearRounds.Near([0.00248125f, 0.0124f, 0.0001f], strategy.SecondMoment.ToArray(), 1e-9f);
        LinearRounds.Near([0.8146794f, 2.1359211f, 3.1f], x2);
    }

    [Fact]
    public void The_second_moment_starts_at_tau_squared()
    {
        var strategy = new FedAdam(tau: 1e-3);
        var round = strategy.BeginRound(2, 2);
        round.Fold("a", 0, [0f, 2f], 1);
        var x = new float[2];

        round.Finish([5f, 5f], x);

        // v1 = 0.99 * 1e-6 + 0.01 * [0, 4] = [9.9e-7, 0.04000099]; a zero delta leaves its parameter where it was.
        Assert.Equal(9.9e-7f, strategy.SecondMoment[0], 1e-12f);
        Assert.Equal(0.04000099f, strategy.SecondMoment[1], 1e-9f);
        Assert.Equal(5f, x[0]);
        // x = 5 + 0.1 * 0.2 / (sqrt(0.04000099) + 0.001) = 5 + 0.02 / 0.201002475 = 5.0995013
        Assert.Equal(5.0995013f, x[1], 1e-6f);
    }

    [Theory]
    [InlineData(0, 0.9, 0.99, 1e-9, "eta")]
    [InlineData(0.1, 1, 0.99, 1e-9, "beta1")]
    [InlineData(0.1, 0.9, 1, 1e-9, "beta2")]
    [InlineData(0.1, 0.9, -0.5, 1e-9, "beta2")]
    [InlineData(0.1, 0.9, 0.99, 0, "tau")]
    [InlineData(0.1, 0.9, 0.99, double.NaN, "tau")]
    public void Out_of_range_parameters_are_refused_by_name(double eta, double beta1, double beta2, double tau, string parameter)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdam(eta, beta1, beta2, tau));

        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void Defaults_are_the_papers()
    {
        var strategy = new FedAdam();

        Assert.Equal("fedadam", strategy.Name);
        Assert.Equal((0.1, 0.9, 0.99, 1e-9), (strategy.Eta, strategy.Beta1, strategy.Beta2, strategy.Tau));
        Assert.True(strategy.FirstMoment.IsEmpty); // no state before the first round
    }

    [Fact]
    public void The_model_cannot_change_size_between_rounds()
    {
        var strategy = new FedAdam();
        TwoRoundScenario.Run(strategy);

        Assert.Throws<InvalidOperationException>(() => strategy.BeginRound(5, 2));
    }
}
