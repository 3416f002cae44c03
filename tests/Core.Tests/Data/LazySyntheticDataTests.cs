using FlMicroservices.Core.Data;

namespace FlMicroservices.Core.Tests.Data;

/// <summary>Synthetic data made device by device: each device alone, the same every time, of the announced size, and nothing held.</summary>
public sealed class LazySyntheticDataTests
{
    [Fact]
    public void Each_device_is_made_alone_the_same_every_time_with_the_announced_size()
    {
        var data = SyntheticFedProx.GenerateLazily(1, 1, iid: false, seed: 5, devices: 3_000);

        Assert.Equal(3_000, data.Train.Count);
        Assert.All(data.Train, d => Assert.True(d.IsGenerated));
        Assert.All(data.Train, d => Assert.InRange(d.Count, (int)(SyntheticFedProx.TrainFraction * SyntheticFedProx.MinSamplesPerDevice), int.MaxValue));
        var last = data.Train[2_999];
        var first = last.Load();
        var again = last.Load();
        Assert.NotSame(first, again); // made afresh, not kept
        Assert.Equal(first.Features, again.Features);
        Assert.Equal(first.Labels, again.Labels);
        Assert.Equal((last.Count, 60, 10), (first.Count, first.FeatureCount, first.ClassCount));
        Assert.All(first.Features, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Devices_differ_and_the_same_seed_gives_the_same_devices()
    {
        var a = SyntheticFedProx.GenerateLazily(1, 1, iid: false, seed: 5, devices: 2_000);
        var b = SyntheticFedProx.GenerateLazily(1, 1, iid: false, seed: 5, devices: 2_000);
        var other = SyntheticFedProx.GenerateLazily(1, 1, iid: false, seed: 6, devices: 2_000);

        Assert.Equal(a.Train.Select(d => d.Count), b.Train.Select(d => d.Count));
        Assert.Equal(a.Train[1_234].Load().Features, b.Train[1_234].Load().Features);
        Assert.NotEqual(a.Train[1_234].Load().Features.Take(60), a.Train[1_235].Load().Features.Take(60));
        Assert.NotEqual(a.Train.Select(d => d.Count), other.Train.Select(d => d.Count));
        // Counts follow the generator's log-normal: many small devices, a heavy tail.
        var counts = a.Train.Select(d => d.Count).Order().ToArray();
        Assert.True(counts[^1] > 20 * counts[counts.Length / 2], $"largest {counts[^1]}, median {counts[counts.Length / 2]}");
    }

    [Fact]
    public void The_pooled_test_set_is_the_test_splits_of_the_first_devices()
    {
        var data = SyntheticFedProx.GenerateLazily(1, 1, iid: false, seed: 5, devices: 1_500);
        var small = SyntheticFedProx.GenerateLazily(1, 1, iid: false, seed: 5, devices: 10);

        Assert.Equal(10, small.Train.Count);
        // Each device keeps a tenth (or a little more) of its samples for the test set, of the first 1,000 devices only.
        var expected = data.Train.Take(SyntheticFedProx.LazyTestDevices).Sum(d => d.Count) / SyntheticFedProx.TrainFraction * (1 - SyntheticFedProx.TrainFraction);
        Assert.InRange(data.PooledTest.Count, expected * 0.95, expected * 1.1 + SyntheticFedProx.LazyTestDevices);
        Assert.Equal(small.PooledTest.Features, data.PooledTest.Features.Take(small.PooledTest.Features.Length));
    }

    [Fact]
    public void Iid_devices_share_one_labelling_model()
    {
        var data = SyntheticFedProx.GenerateLazily(0, 0, iid: true, seed: 2, devices: 2);
        var a = data.Train[0].Load();
        var b = data.Train[1].Load();
        // Same weights, same input distribution: label frequencies of two devices are close.
        var fa = Enumerable.Range(0, 10).Select(c => a.Labels.Count(y => y == c) / (double)a.Count).ToArray();
        var fb = Enumerable.Range(0, 10).Select(c => b.Labels.Count(y => y == c) / (double)b.Count).ToArray();
        Assert.True(fa.Zip(fb).Sum(p => Math.Abs(p.First - p.Second)) < 0.6, string.Join(", ", fa.Zip(fb)));
    }

    [Fact]
    public void A_generator_that_gives_another_size_than_announced_is_an_error_naming_both()
    {
        var data = new ClientData(5, [60], 10, () => new InMemoryDataset(new float[4 * 60], new int[4], [60], 10));
        var error = Assert.Throws<InvalidOperationException>(() => data.Load());
        Assert.Contains("4 samples", error.Message, StringComparison.Ordinal);
        Assert.Contains("5 of [60]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transformed_lazy_data_set_stays_lazy_and_held_data_stays_held()
    {
        var held = new InMemoryDataset(new float[2 * 60], [1, 2], [60], 10);
        var lazy = new ClientData(2, [60], 10, () => held);

        var flipped = lazy.Select(d => d.WithLabels([3, 4]));
        Assert.True(flipped.IsGenerated);
        Assert.Equal([3, 4], flipped.Load().Labels);
        ClientData plain = held;
        Assert.False(plain.IsGenerated);
        Assert.Same(held, plain.Load());
        Assert.Equal([5, 6], plain.Select(d => d.WithLabels([5, 6])).Load().Labels);
    }
}
