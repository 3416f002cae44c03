using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

public class FedProxTests
{
    [Fact]
    public void The_server_aggregates_exactly_like_fedavg()
    {
        var rng = new Random(5);
        var updates = LinearRounds.RandomUpdates(rng, 3, 40);
        var global = LinearRounds.RandomUpdates(rng, 1, 40)[0].Delta;

        var prox = LinearRounds.Run(new FedProx(0.1), global, 16, updates, new Random(1));
        var avg = LinearRounds.Run(new FedAvg(), global, 16, updates, new Random(2));

        Assert.Equal(LinearRounds.Bits(avg), LinearRounds.Bits(prox));
    }

    [Fact]
    public void Two_rounds_move_by_the_weighted_mean_delta_each_time()
    {
        var (x1, x2) = TwoRoundScenario.Run(new FedProx());

        LinearRounds.Near([0.5f, 3f, 3f], x1); // x0 + D1
        LinearRounds.Near([0.525f, 2.5f, 3.1f], x2); // x1 + D2: no state between rounds
    }

    [Fact]
    public void Mu_is_exposed_for_the_clients_and_defaults_to_0_01()
    {
        Assert.Equal(0.01, new FedProx().Mu);
        Assert.Equal(0.5, new FedProx(0.5).Mu);
        Assert.Equal(0, new FedProx(0).Mu); // mu = 0 is plain FedAvg
        Assert.Equal("fedprox", new FedProx().Name);
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_negative_or_non_finite_mu_is_refused(double mu)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FedProx(mu));

        Assert.Equal("mu", error.ParamName);
    }
}
