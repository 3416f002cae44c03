using FlMicroservices.Core.Data;

namespace FlMicroservices.Core.Tests.Data;

public class SyntheticFedProxTests
{
    private const int Cap = 1000;

    private static double DeviceLabelSkew(SyntheticFederatedData data) =>
        LabelSkew.MeanTotalVariation(
            Enumerable.Range(0, data.DeviceCount).Select(k => data.Train[k].Labels.Concat(data.Test[k].Labels).ToArray()).ToArray(),
            10);

    [Fact]
    public void DefaultsGiveThirtyDevicesOfSixtyFeaturesAndTenClasses()
    {
        var data = SyntheticFedProx.Generate(1, 1, iid: false, seed: 1);

        Assert.Equal(30, data.DeviceCount);
        Assert.Equal(30, data.Train.Count);
        Assert.Equal(30, data.Test.Count);
        Assert.Equal(30, data.SamplesPerDevice.Count);
        foreach (var split in data.Train.Concat(data.Test).Append(data.PooledTest))
        {
            Assert.Equal([60], split.Shape);
            Assert.Equal(60, split.FeatureCount);
            Assert.Equal(10, split.ClassCount);
            Assert.All(split.Features, v => Assert.True(float.IsFinite(v)));
        }
        Assert.Equal(data.Test.Sum(t => t.Count), data.PooledTest.Count);
        Assert.Equal(data.Test.SelectMany(t => t.Labels), data.PooledTest.Labels);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 3)]
    public void EachDeviceSplitsItsSamplesNinetyTen(bool iid, int seed)
    {
        var data = SyntheticFedProx.Generate(0.5, 0.5, iid, seed);

        for (var k = 0; k < data.DeviceCount; k++)
        {
            var n = data.SamplesPerDevice[k];
            Assert.True(n >= 50, $"device {k} has {n} samples");
            Assert.Equal(n, data.Train[k].Count + data.Test[k].Count);
            Assert.Equal((int)(0.9 * n), data.Train[k].Count);
        }
    }

    [Fact]
    public void SampleCountsAreHeavyTailed()
    {
        // n_k - 50 ~ lognormal(4, 2): median e^4 = 55, but about 1 device in 6 gets more than e^6 = 403.
        var counts = Enumerable.Range(0, 20)
            .SelectMany(seed => SyntheticFedProx.Generate(0, 0, iid: true, seed, features: 2, maxSamplesPerDevice: 50_000).SamplesPerDevice)
            .Select(n => n - 50.0)
            .Order()
            .ToArray();

        Assert.InRange(counts[counts.Length / 2], 40, 75);
        Assert.InRange(counts.Count(c => c > 403) / (double)counts.Length, 0.11, 0.21);
    }

    [Fact]
    public void CapLimitsDevicesWithoutChangingTheSmallerOnes()
    {
        var faithful = SyntheticFedProx.Generate(1, 1, iid: false, seed: 5);
        var capped = SyntheticFedProx.Generate(1, 1, iid: false, seed: 5, maxSamplesPerDevice: 100);

        Assert.Equal(faithful.SamplesPerDevice.Select(n => Math.Min(n, 100)), capped.SamplesPerDevice);
        Assert.Contains(faithful.SamplesPerDevice, n => n > 100);
    }

    [Fact]
    public void SameSeedGivesIdenticalDataAndDifferentSeedsDiffer()
    {
        var a = SyntheticFedProx.Generate(1, 1, iid: false, seed: 7, maxSamplesPerDevice: Cap);
        var b = SyntheticFedProx.Generate(1, 1, iid: false, seed: 7, maxSamplesPerDevice: Cap);
        var c = SyntheticFedProx.Generate(1, 1, iid: false, seed: 8, maxSamplesPerDevice: Cap);

        Assert.Equal(a.SamplesPerDevice, b.SamplesPerDevice);
        for (var k = 0; k < a.DeviceCount; k++)
        {
            Assert.Equal(a.Train[k].Features, b.Train[k].Features);
            Assert.Equal(a.Train[k].Labels, b.Train[k].Labels);
            Assert.Equal(a.Test[k].Features, b.Test[k].Features);
            Assert.Equal(a.Test[k].Labels, b.Test[k].Labels);
        }
        Assert.NotEqual(a.SamplesPerDevice, c.SamplesPerDevice);
        Assert.NotEqual(a.Train[0].Features, c.Train[0].Features);
    }

    [Fact]
    public void IidDevicesShareALabelDistributionThatSyntheticOneOneDoesNot()
    {
        var iidSkew = Enumerable.Range(0, 3).Average(seed => DeviceLabelSkew(SyntheticFedProx.Generate(0, 0, iid: true, seed, maxSamplesPerDevice: Cap)));
        var nonIidSkew = Enumerable.Range(0, 3).Average(seed => DeviceLabelSkew(SyntheticFedProx.Generate(1, 1, iid: false, seed, maxSamplesPerDevice: Cap)));

        Assert.True(iidSkew < nonIidSkew, $"TV IID = {iidSkew}, TV Synthetic(1,1) = {nonIidSkew}");
        Assert.InRange(iidSkew, 0.0, 0.3);
        Assert.InRange(nonIidSkew, 0.45, 1.0);
    }

    [Fact]
    public void IidFeaturesAreCentredWithDecayingVariance()
    {
        var pooled = InMemoryDataset.Concat(SyntheticFedProx.Generate(0, 0, iid: true, seed: 11).Train);

        foreach (var j in new[] { 0, 9, 59 })
        {
            var column = Enumerable.Range(0, pooled.Count).Select(i => (double)pooled.Row(i)[j]).ToArray();
            var expectedVariance = Math.Pow(j + 1, -1.2);
            var mean = column.Average();
            var variance = column.Sum(v => (v - mean) * (v - mean)) / (column.Length - 1);

            Assert.InRange(mean / Math.Sqrt(expectedVariance), -0.1, 0.1);
            Assert.InRange(variance / expectedVariance, 0.9, 1.1);
        }
    }

    [Fact]
    public void NonIidDevicesHaveTheirOwnInputMeans()
    {
        // With beta = 5 the device input means v_k = N(B_k, 1), B_k ~ N(0, 25), spread far apart.
        var data = SyntheticFedProx.Generate(0, 5, iid: false, seed: 12, maxSamplesPerDevice: Cap);

        var firstFeatureMeans = data.Train.Select(d => Enumerable.Range(0, d.Count).Average(i => d.Row(i)[0])).ToArray();
        var spread = firstFeatureMeans.Max() - firstFeatureMeans.Min();
        Assert.True(spread > 5, $"spread of device means of feature 0: {spread}");
    }

    [Fact]
    public void CustomSizesAreHonoured()
    {
        var data = SyntheticFedProx.Generate(1, 1, iid: false, seed: 13, devices: 4, features: 5, classes: 3, maxSamplesPerDevice: 200);

        Assert.Equal(4, data.DeviceCount);
        Assert.All(data.Train.Concat(data.Test), d => Assert.Equal([5], d.Shape));
        Assert.All(data.Train.Concat(data.Test), d => Assert.Equal(3, d.ClassCount));
        Assert.All(data.SamplesPerDevice, n => Assert.InRange(n, 50, 200));
    }

    [Fact]
    public void InvalidArgumentsAreRejectedWithTheirNames()
    {
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticFedProx.Generate(-1, 0, false, 0)).ParamName);
        Assert.Equal("beta", Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticFedProx.Generate(0, double.NaN, false, 0)).ParamName);
        Assert.Equal("devices", Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticFedProx.Generate(0, 0, false, 0, devices: 0)).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticFedProx.Generate(0, 0, false, 0, features: 0)).ParamName);
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticFedProx.Generate(0, 0, false, 0, classes: 1)).ParamName);
        Assert.Equal("maxSamplesPerDevice", Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticFedProx.Generate(0, 0, false, 0, maxSamplesPerDevice: 49)).ParamName);
    }
}
