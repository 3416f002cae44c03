using FlMicroservices.Core.Async;
using FlMicroservices.Core.Privacy.Dp;

namespace FlMicroservices.Core.Tests.Async;

public class FedBuffPrivacyTests
{
    private static FedBuffPrivacy Dp(double clip, double z, long seed = 7) => new(clip, z, GaussianNoise.FromSeed(seed, "fedbuff-test"));

    [Fact]
    public void Each_update_is_clipped_and_weighted_one_whatever_its_examples()
    {
        // z so small that the noise (1e-12 C / K) is far below float precision: the step is the clipped mean.
        var buffer = new FedBuffBuffer([0f, 0f], bufferSize: 2, maxStaleness: null, new ConstantStaleness(), privacy: Dp(clip: 1, z: 1e-12));

        buffer.Add("long", 0, [3f, 4f], examples: 100); // norm 5: clipped to [0.6, 0.8]
        var second = buffer.Add("short", 0, [0.3f, 0f], examples: 1); // norm 0.3: kept

        Assert.Equal(1, second.NewVersion);
        Assert.Equal(0.45, buffer.Model[0], 6); // (0.6 + 0.3) / 2, not weighted by 100 : 1
        Assert.Equal(0.4, buffer.Model[1], 6);
        Assert.Equal(5e-13, second.NoiseStd, 1e-20);
    }

    [Fact]
    public void A_stale_update_is_clipped_then_discounted()
    {
        var buffer = new FedBuffBuffer([0f], bufferSize: 1, maxStaleness: null, new PolynomialStaleness(), privacy: Dp(clip: 2, z: 1e-12));
        for (var v = 0; v < 3; v++) buffer.Add($"warm-{v}", v, [0f]);
        var before = buffer.Model[0];

        var outcome = buffer.Add("stale", 0, [10f]); // staleness 3: weight 1/2 of the clipped 2

        Assert.Equal((true, 3, 0.5), (outcome.Accepted, outcome.Staleness, outcome.Weight));
        Assert.Equal(before + 1.0, buffer.Model[0], 6);
    }

    [Fact]
    public void The_noise_on_each_version_has_standard_deviation_z_C_over_K()
    {
        const int parameters = 40_000;
        var buffer = new FedBuffBuffer(new float[parameters], bufferSize: 4, maxStaleness: null, new ConstantStaleness(), privacy: Dp(clip: 2, z: 1.5));
        BufferOutcome last = null!;
        foreach (var client in new[] { "a", "b", "c", "d" }) last = buffer.Add(client, 0, new float[parameters]);

        Assert.Equal(1.5 * 2 / 4, last.NoiseStd, 12);
        var values = buffer.Model.ToArray().Select(v => (double)v).ToArray();
        var mean = values.Average();
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
        Assert.InRange(mean, -0.02, 0.02); // 0.75 / sqrt(40,000) = 0.00375 per standard error
        Assert.InRange(std, 0.75 * 0.98, 0.75 * 1.02);
    }

    [Fact]
    public void A_second_update_from_a_client_in_the_buffer_is_dropped_and_it_may_join_the_next_version()
    {
        var buffer = new FedBuffBuffer([0f], bufferSize: 2, maxStaleness: null, new ConstantStaleness(), privacy: Dp(clip: 1, z: 1));

        buffer.Add("fast", 0, [0.5f]);
        var again = buffer.Add("fast", 0, [0.5f]);
        Assert.True(buffer.Holds("fast"));
        Assert.False(again.Accepted);
        Assert.Contains("already has an update in this buffer", again.DropReason);
        Assert.Equal(1, buffer.Buffered);

        var flushed = buffer.Add("slow", 0, [0.1f]);
        Assert.Equal(["fast", "slow"], flushed.Contributors);
        Assert.False(buffer.Holds("fast"));
        Assert.True(buffer.Add("fast", 1, [0.5f]).Accepted);
    }

    [Fact]
    public void An_update_that_is_not_finite_counts_as_a_zero_update_so_membership_does_not_depend_on_values()
    {
        var buffer = new FedBuffBuffer([1f, 1f], bufferSize: 2, maxStaleness: null, new ConstantStaleness(), privacy: Dp(clip: 1, z: 1e-12));

        var poisoned = buffer.Add("nan", 0, [float.NaN, 1f]);
        var infinite = buffer.Add("inf", 0, [float.PositiveInfinity, 0f]);

        Assert.True(poisoned.Accepted);
        Assert.Equal("its values were not finite: folded as zero", poisoned.Note);
        Assert.Equal(1, infinite.NewVersion);
        Assert.Equal([1f, 1f], buffer.Model.ToArray().Select(v => MathF.Round(v, 5)).ToArray());
    }

    [Fact]
    public void Without_privacy_a_client_may_have_two_updates_in_one_buffer_as_before()
    {
        var buffer = new FedBuffBuffer([0f], bufferSize: 2, maxStaleness: null, new ConstantStaleness());

        buffer.Add("fast", 0, [1f]);
        var again = buffer.Add("fast", 0, [3f]);

        Assert.Equal(1, again.NewVersion);
        Assert.Equal(2f, buffer.Model[0]);
        Assert.Equal(0, again.NoiseStd);
    }

    [Fact]
    public void Bad_privacy_settings_are_refused_with_their_name()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FedBuffBuffer([0f], 2, null, new ConstantStaleness(), privacy: Dp(clip: double.NaN, z: 1)));
        Assert.Equal("ClipNorm", e.ParamName);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new FedBuffBuffer([0f], 2, null, new ConstantStaleness(), privacy: Dp(clip: 1, z: 0)));
        Assert.Equal("NoiseMultiplier", e.ParamName);
    }
}
