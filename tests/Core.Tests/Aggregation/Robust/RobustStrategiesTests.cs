using FlMicroservices.Core.Aggregation.Robust;

namespace FlMicroservices.Core.Tests.Aggregation.Robust;

public class RobustStrategiesTests
{
    [Fact]
    public void Each_name_creates_its_strategy_with_defaults_that_follow_the_byzantine_share()
    {
        Assert.IsType<FedMedian>(RobustStrategies.Create("median", null));
        Assert.Equal(0.2, Assert.IsType<TrimmedMean>(RobustStrategies.Create("trimmed-mean", null)).Beta);
        Assert.Equal(0.3, Assert.IsType<TrimmedMean>(RobustStrategies.Create("trimmed-mean", null, byzantineShare: 0.3)).Beta);
        var krum = Assert.IsType<Krum>(RobustStrategies.Create("krum", null));
        Assert.Equal(((int?)null, 0.2), (krum.F, krum.Tolerance.Share));
        var multi = Assert.IsType<MultiKrum>(RobustStrategies.Create("multi-krum", null, byzantineShare: 0.25));
        Assert.Equal(((int?)null, (int?)null, 0.25), (multi.F, multi.M, multi.Tolerance.Share));
        Assert.Equal(7, multi.Tolerance.AttackersAmong(30)); // floor(0.25 x 30)
        Assert.Equal(16, multi.SelectedAmong(30, 7));         // n - 2f with f from the share
        Assert.Equal(23, new MultiKrum(7).SelectedAmong(30, 7)); // n - f with an explicit f
        Assert.Null(Assert.IsType<Bulyan>(RobustStrategies.Create("bulyan", null)).F);
        foreach (var name in RobustStrategies.Names)
            Assert.Equal(name, RobustStrategies.Create(name, null).Name);
    }

    [Fact]
    public void Parameters_are_parsed_in_the_invariant_culture()
    {
        var trimmed = (TrimmedMean)RobustStrategies.Create("trimmed-mean", new Dictionary<string, string> { ["beta"] = "0.25" });
        var multi = (MultiKrum)RobustStrategies.Create("multi-krum", new Dictionary<string, string> { ["f"] = "3", ["m"] = "5.0" });
        var bulyan = (Bulyan)RobustStrategies.Create("bulyan", new Dictionary<string, string> { ["f"] = "2", ["max-norm"] = "10" });

        Assert.Equal(0.25, trimmed.Beta);
        Assert.Equal((3, (int?)5), (multi.F, multi.M));
        Assert.Equal(2, bulyan.F);
    }

    [Theory]
    [InlineData("krum", 0.5)]
    [InlineData("median", -0.1)]
    [InlineData("bulyan", double.NaN)]
    public void A_byzantine_share_outside_0_to_one_half_is_refused(string name, double share)
    {
        var error = Assert.Throws<ArgumentException>(() => RobustStrategies.Create(name, null, share));

        Assert.Contains("Byzantine share", error.Message);
        Assert.Contains(name, error.Message);
    }

    [Theory]
    [InlineData("krum", null, 0.2, 1, "rounds of at least 3 updates")]
    [InlineData("krum", "5", 0.2, 12, "f = 5 needs n > 2f + 2 and so rounds of at least 13 updates, but a round may aggregate as few as 12")]
    [InlineData("bulyan", null, 0.2, 10, "rounds of at least 11 updates")]
    [InlineData("bulyan", null, 0.25, 100, "cannot tolerate a Byzantine share of 0.25 in a round of any size")]
    [InlineData("multi-krum", null, 0.49, 3, "rounds of at least 101 updates")]
    public void A_round_size_the_strategy_cannot_aggregate_is_explained(string name, string? f, double share, int smallest, string expected)
    {
        var parameters = f is null ? null : new Dictionary<string, string> { ["f"] = f };
        var strategy = RobustStrategies.Create(name, parameters, share);

        Assert.Contains(expected, RobustStrategies.RoundSizeProblem(strategy, smallest));
    }

    [Theory]
    [InlineData("krum", 0.2, 3)]
    [InlineData("bulyan", 0.2, 11)]
    [InlineData("multi-krum", 0.2, 30)]
    [InlineData("median", 0.4, 1)]
    public void A_round_size_the_strategy_can_aggregate_has_no_problem(string name, double share, int smallest) =>
        Assert.Null(RobustStrategies.RoundSizeProblem(RobustStrategies.Create(name, null, share), smallest));

    [Theory]
    [InlineData("trimmed-mean", "beta", "0.5")]
    [InlineData("trimmed-mean", "beta", "-0.1")]
    [InlineData("trimmed-mean", "beta", "0,2")]
    [InlineData("trimmed-mean", "beta", "NaN")]
    [InlineData("krum", "f", "-1")]
    [InlineData("krum", "f", "1.5")]
    [InlineData("bulyan", "f", "two")]
    [InlineData("multi-krum", "m", "0")]
    [InlineData("multi-krum", "f", "")]
    public void A_bad_parameter_is_named_in_the_error(string name, string key, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => RobustStrategies.Create(name, new Dictionary<string, string> { [key] = value }));

        Assert.Contains($"'{key}'", error.Message);
        Assert.Contains($"'{value}'", error.Message);
        Assert.Contains(name, error.Message);
    }

    [Fact]
    public void An_unknown_name_lists_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => RobustStrategies.Create("fedavg", null));

        Assert.Contains("'fedavg'", error.Message);
        Assert.Contains("median, trimmed-mean, krum, multi-krum, bulyan", error.Message);
    }
}
