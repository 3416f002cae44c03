using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

public class FedAvgMTests
{
    [Fact]
    public void Momentum_carries_the_previous_rounds_velocity_into_the_next_step()
    {
        var strategy = new FedAvgM(); // server lr 1, beta 0.9

        var (x1, x2) = TwoRoundScenario.Run(strategy);

        // Round 1: v1 = 0.9 * 0 + D1 = [-0.5, 1, 0]; x1 = x0 + v1 = [0.5, 3, 3].
        LinearRounds.Near([0.5f, 3f, 3f], x1);
        // Round 2: v2 = 0.9 * v1 + D2 = [-0.45 + 0.025, 0.9 - 0.5, 0.1] = [-0.425, 0.4, 0.1]; x2 = x1 + v2 = [0.075, 3.4, 3.1].
        LinearRounds.Near([0.075f, 3.4f, 3.1f], x2);
        LinearRounds.Near([-0.425f, 0.4f, 0.1f], strategy.Velocity.ToArray());
    }

    [Fact]
    public void The_server_learning_rate_scales_the_velocity_not_the_momentum()
    {
        var strategy = new FedAvgM(serverLearningRate: 0.5, momentum: 0.9);

        var (x1, x2) = TwoRoundScenario.Run(strategy);

        // x1 = x0 + 0.5 * [-0.5, 1, 0] = [0.75, 2.5, 3]; v2 = [-0.425, 0.4, 0.1] as above; x2 = x1 + 0.5 * v2 = [0.5375, 2.7, 3.05].
        LinearRounds.Near([0.75f, 2.5f, 3f], x1);
        LinearRounds.Near([0.5375f, 2.7f, 3.05f], x2);
    }

    [Fact]
    public void Zero_momentum_and_unit_rate_is_fedavg_bit_for_bit()
    {
        var rng = new Random(3);
        var updates = LinearRounds.RandomUpdates(rng, 4, 50);
        var global = LinearRounds.RandomUpdates(rng, 1, 50)[0].Delta;

        var momentum = LinearRounds.Run(new FedAvgM(1, 0), global, 8, updates, new Random(1));
        var fedAvg = LinearRounds.Run(new FedAvg(), global, 8, updates, new Random(2));

        Assert.Equal(LinearRounds.Bits(fedAvg), LinearRounds.Bits(momentum));
    }

    [Fact]
    public void A_parameter_nobody_delivered_keeps_coasting_on_its_velocity()
    {
        var strategy = new FedAvgM(1, 0.5);
        var first = strategy.BeginRound(4, 2);
        first.Fold("a", 0, [1f, 1f], 1);
        first.Fold("a", 1, [2f, 2f], 1);
        var x1 = new float[4];
        first.Finish(new float[4], x1);
        var second = strategy.BeginRound(4, 2);
        second.Fold("a", 0, [0f, 0f], 1); // slice 1 never arrives: its mean delta is 0
        var x2 = new float[4];

        second.Finish(x1, x2);

        Assert.Equal([1f, 1f, 2f, 2f], x1);
        Assert.Equal([1.5f, 1.5f, 3f, 3f], x2); // velocity halves: [0.5, 0.5, 1, 1]
    }

    [Fact]
    public void A_round_that_fails_leaves_the_velocity_untouched()
    {
        var strategy = new FedAvgM();
        var empty = strategy.BeginRound(3, 2);

        Assert.Throws<InvalidOperationException>(() => empty.Finish(new float[3], new float[3]));

        var (x1, _) = TwoRoundScenario.Run(strategy);
        LinearRounds.Near([0.5f, 3f, 3f], x1); // still a first round: v starts at 0
    }

    [Fact]
    public void A_round_finishes_once_so_the_momentum_steps_once()
    {
        var round = new FedAvgM().BeginRound(2, 2);
        round.Fold("a", 0, [1f, 1f], 1);
        round.Finish(new float[2], new float[2]);

        Assert.Throws<InvalidOperationException>(() => round.Finish(new float[2], new float[2]));
        Assert.Throws<InvalidOperationException>(() => round.Fold("b", 0, [1f, 1f], 1));
    }

    [Fact]
    public void The_model_cannot_change_size_between_rounds()
    {
        var strategy = new FedAvgM();
        TwoRoundScenario.Run(strategy);

        var error = Assert.Throws<InvalidOperationException>(() => strategy.BeginRound(4, 2));
        Assert.Contains("3 parameters", error.Message);
    }

    [Theory]
    [InlineData(0, 0.9, "serverLearningRate")]
    [InlineData(double.NaN, 0.9, "serverLearningRate")]
    [InlineData(double.PositiveInfinity, 0.9, "serverLearningRate")]
    [InlineData(1, 1, "momentum")]
    [InlineData(1, -0.1, "momentum")]
    public void Out_of_range_parameters_are_refused_by_name(double rate, double momentum, string parameter)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FedAvgM(rate, momentum));

        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void Defaults_are_unit_rate_and_momentum_0_9()
    {
        var strategy = new FedAvgM();

        Assert.Equal("fedavgm", strategy.Name);
        Assert.Equal(1.0, strategy.ServerLearningRate);
        Assert.Equal(0.9, strategy.Momentum);
    }
}
