using FlMicroservices.Core.Aggregation.Robust;

namespace FlMicroservices.Core.Tests.Aggregation.Robust;

public class RobustStrategiesTests
{
    [Fact]
    public void Each_name_creates_its_strategy_with_defaults()
    {
        Assert.IsType<FedMedian>(RobustStrategies.Create("median", null));
        Assert.Equal(0.1, Assert.IsType<TrimmedMean>(RobustStrategies.Create("trimmed-mean", null)).Beta);
        Assert.Equal(1, Assert.IsType<Krum>(RobustStrategies.Create("krum", null)).F);
        var multi = Assert.IsType<MultiKrum>(RobustStrategies.Create("multi-krum", null));
        Assert.Equal((1, (int?)null), (multi.F, multi.M));
        Assert.Equal(1, Assert.IsType<Bulyan>(RobustStrategies.Create("bulyan", null)).F);
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
