using FlMicroservices.Core.Async;

namespace FlMicroservices.Core.Tests.Async;

public class StalenessWeightingTests
{
    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(3, 0.5)]
    [InlineData(8, 1.0 / 3)]
    [InlineData(99, 0.1)]
    public void Polynomial_default_is_one_over_the_square_root_of_one_plus_staleness(int staleness, double expected) =>
        Assert.Equal(expected, new PolynomialStaleness().Weight(staleness), 12);

    [Fact]
    public void Polynomial_exponent_one_is_one_over_one_plus_staleness() =>
        Assert.Equal(0.25, StalenessWeightings.Create("polynomial:1").Weight(3), 12);

    [Fact]
    public void Constant_weights_every_staleness_fully() =>
        Assert.Equal([1.0, 1.0, 1.0], new[] { 0, 1, 1000 }.Select(new ConstantStaleness().Weight));

    [Fact]
    public void Hinge_is_flat_up_to_its_threshold_then_falls_with_its_slope()
    {
        var hinge = new HingeStaleness(slope: 10, threshold: 4);

        Assert.Equal(1.0, hinge.Weight(4));
        Assert.Equal(1.0 / 11, hinge.Weight(5), 12);
        Assert.Equal(1.0 / 21, hinge.Weight(6), 12);
    }

    [Theory]
    [InlineData("polynomial", "polynomial")]
    [InlineData("polynomial:1", "polynomial:1")]
    [InlineData("hinge", "hinge:10,4")]
    [InlineData("hinge:2,3", "hinge:2,3")]
    [InlineData("constant", "constant")]
    public void Names_parse_back_to_the_same_weighting(string spec, string name) =>
        Assert.Equal(name, StalenessWeightings.Create(spec).Name);

    [Theory]
    [InlineData("linear", "unknown")]
    [InlineData("polynomial:-1", "exponent A '-1'")]
    [InlineData("hinge:10,2.5", "threshold B '2.5'")]
    [InlineData("hinge:10", "unknown")]
    public void Bad_specs_are_refused_naming_the_part(string spec, string named) =>
        Assert.Contains(named, Assert.Throws<ArgumentException>(() => StalenessWeightings.Create(spec)).Message);
}
