using FlMicroservices.Core.Data;

namespace FlMicroservices.Core.Tests.Data;

public class RandomExtensionsTests
{
    private const int Draws = 100_000;

    [Fact]
    public void NormalSampleMeanAndVarianceMatchTheParameters()
    {
        var rng = new Random(1);
        var values = Enumerable.Range(0, Draws).Select(_ => rng.NextNormal(3, 2)).ToArray();
        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (Draws - 1);

        // Standard errors: 2 / sqrt(1e5) = 0.0063 for the mean, 4 * sqrt(2 / 1e5) = 0.018 for the variance.
        Assert.InRange(mean, 3 - 0.03, 3 + 0.03);
        Assert.InRange(variance, 4 - 0.09, 4 + 0.09);
    }

    [Fact]
    public void NormalsAreReproducibleForASeed()
    {
        var a = new Random(42);
        var b = new Random(42);
        var c = new Random(43);
        var first = Enumerable.Range(0, 100).Select(_ => a.NextNormal()).ToArray();

        Assert.Equal(first, Enumerable.Range(0, 100).Select(_ => b.NextNormal()).ToArray());
        Assert.NotEqual(first, Enumerable.Range(0, 100).Select(_ => c.NextNormal()).ToArray());
    }

    [Fact]
    public void LogNormalIsTheExponentialOfANormal()
    {
        var rng = new Random(2);
        var logs = Enumerable.Range(0, Draws).Select(_ => Math.Log(rng.NextLogNormal(4, 2))).ToArray();

        Assert.InRange(logs.Average(), 4 - 0.03, 4 + 0.03);
        Assert.InRange(logs.Select(v => (v - 4) * (v - 4)).Average(), 4 - 0.09, 4 + 0.09);
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    [InlineData(10.0)]
    public void GammaMeanAndVarianceEqualTheShape(double shape)
    {
        var rng = new Random(3);
        var values = Enumerable.Range(0, Draws).Select(_ => rng.NextGamma(shape)).ToArray();
        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (Draws - 1);

        Assert.All(values, v => Assert.True(v >= 0));
        // Five standard errors of the mean, sqrt(shape / n).
        Assert.InRange(mean, shape - 5 * Math.Sqrt(shape / Draws), shape + 5 * Math.Sqrt(shape / Draws));
        Assert.InRange(variance / shape, 0.9, 1.1);
    }

    [Fact]
    public void GammaScaleMultipliesTheMean()
    {
        var rng = new Random(4);
        var mean = Enumerable.Range(0, Draws).Select(_ => rng.NextGamma(2, 3)).Average();

        Assert.InRange(mean, 6 - 0.1, 6 + 0.1);
    }

    [Theory]
    [InlineData(0.001, 2)]
    [InlineData(0.01, 100)]
    [InlineData(0.1, 10)]
    [InlineData(1.0, 1)]
    [InlineData(1.0, 30)]
    [InlineData(100.0, 10)]
    public void DirichletDrawsAreProbabilityVectors(double alpha, int k)
    {
        var rng = new Random(5);
        for (var draw = 0; draw < 1000; draw++)
        {
            var p = rng.NextDirichlet(alpha, k);

            Assert.Equal(k, p.Length);
            Assert.All(p, v => Assert.InRange(v, 0.0, 1.0));
            Assert.Equal(1.0, p.Sum(), 1e-12);
        }
    }

    [Fact]
    public void DirichletComponentMeansAreTheNormalisedConcentrations()
    {
        var rng = new Random(6);
        var sums = new double[3];
        for (var draw = 0; draw < 20_000; draw++)
        {
            var p = rng.NextDirichlet([1.0, 2.0, 7.0]);
            for (var i = 0; i < 3; i++)
                sums[i] += p[i];
        }

        Assert.Equal(0.1, sums[0] / 20_000, 0.005);
        Assert.Equal(0.2, sums[1] / 20_000, 0.005);
        Assert.Equal(0.7, sums[2] / 20_000, 0.005);
    }

    [Fact]
    public void SmallDirichletConcentrationPutsAlmostAllMassOnOneComponent()
    {
        var rng = new Random(8);
        var meanMax = Enumerable.Range(0, 1000).Select(_ => rng.NextDirichlet(0.01, 10).Max()).Average();

        Assert.True(meanMax > 0.9, $"mean largest component {meanMax}");
    }

    [Fact]
    public void InvalidParametersAreRejected()
    {
        var rng = new Random(0);

        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextNormal(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextNormal(double.NaN, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextLogNormal(0, double.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextGamma(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextGamma(1, -2));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextDirichlet(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextDirichlet(1, 0));
        Assert.Throws<ArgumentException>(() => rng.NextDirichlet(ReadOnlySpan<double>.Empty));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextDirichlet([1.0, -1.0]));
    }
}
