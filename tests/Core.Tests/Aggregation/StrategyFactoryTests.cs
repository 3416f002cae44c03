using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

public class StrategyFactoryTests
{
    private static Dictionary<string, string> P(params (string Key, string Value)[] pairs)
    {
        var parameters = new Dictionary<string, string>();
        foreach (var (key, value) in pairs) parameters[key] = value;
        return parameters;
    }

    [Theory]
    [InlineData("fedavg", typeof(FedAvg))]
    [InlineData("fedavgm", typeof(FedAvgM))]
    [InlineData("fedprox", typeof(FedProx))]
    [InlineData("fedadagrad", typeof(FedAdagrad))]
    [InlineData("fedadam", typeof(FedAdam))]
    [InlineData("fedyogi", typeof(FedYogi))]
    public void Each_name_creates_its_strategy_which_reports_that_name(string name, Type type)
    {
        var strategy = StrategyFactory.Create(name);

        Assert.IsType(type, strategy);
        Assert.Equal(name, strategy.Name);
        Assert.Contains(name, StrategyFactory.Names);
    }

    [Fact]
    public void Every_call_creates_a_fresh_instance_so_optimizer_state_is_never_shared()
    {
        Assert.NotSame(StrategyFactory.Create("fedadam"), StrategyFactory.Create("fedadam"));
    }

    [Fact]
    public void Missing_parameters_take_the_documented_defaults()
    {
        var momentum = (FedAvgM)StrategyFactory.Create("fedavgm");
        var adam = (FedAdam)StrategyFactory.Create("fedadam", P());

        Assert.Equal((1.0, 0.9), (momentum.ServerLearningRate, momentum.Momentum));
        Assert.Equal((0.1, 0.9, 0.99, 1e-9), (adam.Eta, adam.Beta1, adam.Beta2, adam.Tau));
        Assert.Equal(0.01, ((FedProx)StrategyFactory.Create("fedprox")).Mu);
    }

    [Fact]
    public void Parameters_are_read_by_name_in_the_invariant_culture()
    {
        var momentum = (FedAvgM)StrategyFactory.Create("fedavgm", P(("server-lr", "0.5"), ("momentum", " 0.25 ")));
        var yogi = (FedYogi)StrategyFactory.Create("fedyogi", P(("server-lr", "1e-2"), ("beta1", "0.8"), ("beta2", "0.999"), ("tau", "0.001")));
        var adagrad = (FedAdagrad)StrategyFactory.Create("fedadagrad", P(("server-lr", "0.3"), ("beta1", "0"), ("tau", "1E-6"), ("beta2", "0.5")));
        var prox = (FedProx)StrategyFactory.Create("fedprox", P(("mu", "0.1")));

        Assert.Equal((0.5, 0.25), (momentum.ServerLearningRate, momentum.Momentum));
        Assert.Equal((0.01, 0.8, 0.999, 0.001), (yogi.Eta, yogi.Beta1, yogi.Beta2, yogi.Tau));
        Assert.Equal((0.3, 0.0, 1e-6), (adagrad.Eta, adagrad.Beta1, adagrad.Tau)); // beta2 means nothing to Adagrad: ignored
        Assert.Equal(0.1, prox.Mu);
    }

    [Fact]
    public void Keys_a_strategy_does_not_use_are_ignored()
    {
        var strategy = StrategyFactory.Create("fedavg", P(("momentum", "0.9"), ("f", "2"), ("beta", "0.1")));

        Assert.IsType<FedAvg>(strategy);
    }

    [Fact]
    public void Max_norm_wraps_any_strategy_in_norm_bounding()
    {
        foreach (var name in StrategyFactory.Names)
        {
            var strategy = StrategyFactory.Create(name, P(("max-norm", "2.5"), ("server-lr", "0.5")));

            var bounding = Assert.IsType<NormBounding>(strategy);
            Assert.Equal(2.5, bounding.MaxNorm);
            Assert.Equal(name, bounding.Name);
            Assert.Equal(name, bounding.Inner.Name);
        }
        Assert.Equal(0.5, ((FedAdam)((NormBounding)StrategyFactory.Create("fedadam", P(("max-norm", "1"), ("server-lr", "0.5")))).Inner).Eta);
    }

    [Fact]
    public void An_unknown_name_is_refused_with_the_list_of_known_names()
    {
        var error = Assert.Throws<ArgumentException>(() => StrategyFactory.Create("fedsgd"));

        Assert.Equal("name", error.ParamName);
        Assert.Contains("'fedsgd'", error.Message);
        foreach (var name in StrategyFactory.Names) Assert.Contains(name, error.Message);
        Assert.Throws<ArgumentException>(() => StrategyFactory.Create("FedAvg")); // names are exact
        Assert.Throws<ArgumentNullException>(() => StrategyFactory.Create(null!));
    }

    [Theory]
    [InlineData("fedavgm", "server-lr", "fast")]
    [InlineData("fedavgm", "momentum", "0,9")]
    [InlineData("fedadam", "beta1", "")]
    [InlineData("fedyogi", "tau", "NaN")]
    [InlineData("fedprox", "mu", "Infinity")]
    [InlineData("fedavg", "max-norm", "big")]
    public void A_value_that_is_not_a_finite_number_is_refused_naming_the_parameter(string name, string key, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => StrategyFactory.Create(name, P((key, value))));

        Assert.Contains($"'{key}'", error.Message);
        Assert.Contains(name, error.Message);
        Assert.Contains("not a finite number", error.Message);
    }

    [Theory]
    [InlineData("fedavgm", "server-lr", "0")]
    [InlineData("fedavgm", "momentum", "1")]
    [InlineData("fedadagrad", "server-lr", "-0.1")]
    [InlineData("fedadam", "beta1", "1.5")]
    [InlineData("fedadam", "beta2", "-0.01")]
    [InlineData("fedyogi", "tau", "0")]
    [InlineData("fedprox", "mu", "-1")]
    [InlineData("fedavg", "max-norm", "0")]
    public void A_value_out_of_range_is_refused_naming_the_parameter(string name, string key, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => StrategyFactory.Create(name, P((key, value))));

        Assert.Contains($"Parameter '{key}' = '{value}'", error.Message);
        Assert.Contains("out of range", error.Message);
        Assert.IsType<ArgumentOutOfRangeException>(error.InnerException);
    }
}
