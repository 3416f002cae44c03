using FlMicroservices.Core.Async;

namespace FlMicroservices.Core.Tests.Async;

public class FedBuffBufferTests
{
    [Fact]
    public void K_updates_make_exactly_one_version_at_the_staleness_weighted_mean_over_K()
    {
        var buffer = new FedBuffBuffer([10f, 20f], bufferSize: 2, maxStaleness: null, new PolynomialStaleness());
        Advance(buffer, versions: 3); // version 3, so that a base of 0 is 3 versions stale (weight 1/sqrt(4) = 1/2)
        var before = buffer.Model.ToArray();

        var first = buffer.Add("fresh", 3, [1f, 2f]);
        var second = buffer.Add("stale", 0, [3f, 4f]);

        Assert.Equal((true, 0, 1.0, (int?)null), (first.Accepted, first.Staleness, first.Weight, first.NewVersion));
        Assert.Equal((true, 3, 0.5, (int?)4), (second.Accepted, second.Staleness, second.Weight, second.NewVersion));
        // (1 * [1, 2] + 0.5 * [3, 4]) / 2 = [1.25, 2]
        Assert.Equal([before[0] + 1.25f, before[1] + 2f], buffer.Model.ToArray());
        Assert.Equal(4, buffer.Version);
        Assert.Equal(0, buffer.Buffered);
    }

    [Fact]
    public void The_server_learning_rate_scales_the_step()
    {
        var buffer = new FedBuffBuffer([0f, 0f], bufferSize: 2, maxStaleness: null, new ConstantStaleness(), serverLearningRate: 0.5);

        buffer.Add("a", 0, [2f, -4f]);
        buffer.Add("b", 0, [6f, 0f]);

        Assert.Equal([2f, -1f], buffer.Model.ToArray()); // 0.5 * ([2, -4] + [6, 0]) / 2
    }

    [Fact]
    public void Example_counts_weigh_updates_and_staleness_discounts_them_without_renormalising()
    {
        var buffer = new FedBuffBuffer([0f], bufferSize: 2, maxStaleness: null, new PolynomialStaleness());
        Advance(buffer, versions: 3);

        buffer.Add("big", 3, [1f], examples: 300);
        buffer.Add("small-stale", 0, [4f], examples: 100);

        // (1 * 300 * 1 + 0.5 * 100 * 4) / (300 + 100) = 500 / 400
        Assert.Equal(1.25f, buffer.Model[0]);
    }

    [Fact]
    public void Fewer_than_K_updates_leave_the_model_and_version_unchanged()
    {
        var buffer = new FedBuffBuffer([1f, 1f, 1f], bufferSize: 3, maxStaleness: null, new PolynomialStaleness());

        buffer.Add("a", 0, [5f, 5f, 5f]);
        buffer.Add("b", 0, [5f, 5f, 5f]);

        Assert.Equal((0, 2), (buffer.Version, buffer.Buffered));
        Assert.Equal([1f, 1f, 1f], buffer.Model.ToArray());
    }

    [Fact]
    public void Versions_increase_by_one_per_flush()
    {
        var buffer = new FedBuffBuffer([0f], bufferSize: 2, maxStaleness: null, new PolynomialStaleness());
        var versions = new List<int?>();

        for (var i = 0; i < 7; i++) versions.Add(buffer.Add($"c{i}", buffer.Version, [1f]).NewVersion);

        Assert.Equal([null, 1, null, 2, null, 3, null], versions);
        Assert.Equal(3, buffer.Version);
    }

    [Fact]
    public void An_update_staler_than_the_limit_is_dropped_with_its_reason_and_does_not_count()
    {
        var buffer = new FedBuffBuffer([0f], bufferSize: 1, maxStaleness: 2, new PolynomialStaleness());
        Advance(buffer, versions: 3);
        var model = buffer.Model.ToArray();

        var dropped = buffer.Add("slow", 0, [100f]);
        var atLimit = buffer.Add("ok", 1, [1f]);

        Assert.False(dropped.Accepted);
        Assert.Equal(3, dropped.Staleness);
        Assert.Equal("staleness 3 exceeds the limit of 2 versions", dropped.DropReason);
        Assert.Null(dropped.NewVersion);
        Assert.True(atLimit.Accepted);
        Assert.Equal(4, atLimit.NewVersion);
        Assert.Equal(1 / Math.Sqrt(3), atLimit.Weight, 2.5e-4); // 1/sqrt(1 + 2), to 2^-12
        Assert.Equal(model[0] + (float)atLimit.Weight, buffer.Model[0]);
    }

    [Fact]
    public void An_update_from_a_version_that_does_not_exist_yet_is_dropped()
    {
        var buffer = new FedBuffBuffer([0f], bufferSize: 1, maxStaleness: null, new PolynomialStaleness());

        var outcome = buffer.Add("future", 5, [1f]);

        Assert.Equal("base version 5 does not exist (the current version is 0)", outcome.DropReason);
        Assert.Equal(0, buffer.Version);
    }

    [Fact]
    public void A_non_finite_update_is_dropped_without_touching_the_buffer()
    {
        var buffer = new FedBuffBuffer([0f, 0f], bufferSize: 2, maxStaleness: null, new ConstantStaleness());

        var bad = buffer.Add("nan", 0, [1f, float.NaN]);
        buffer.Add("a", 0, [2f, 2f]);
        buffer.Add("b", 0, [4f, 0f]);

        Assert.Equal("it holds NaN or infinite values", bad.DropReason);
        Assert.Equal([3f, 1f], buffer.Model.ToArray());
    }

    [Fact]
    public void The_result_does_not_depend_on_arrival_order()
    {
        var updates = new (string Id, int Base, float[] Delta)[] { ("a", 0, [0.1f, -0.3f]), ("b", 1, [0.7f, 0.2f]), ("c", 2, [-0.05f, 1e-3f]) };
        float[] Run(IEnumerable<(string Id, int Base, float[] Delta)> order)
        {
            var buffer = new FedBuffBuffer([0.5f, 0.5f], bufferSize: 3, maxStaleness: null, new PolynomialStaleness());
            Advance(buffer, versions: 2);
            foreach (var (id, version, delta) in order) buffer.Add(id, version, delta);
            return buffer.Model.ToArray();
        }

        Assert.Equal(Run(updates), Run(updates.Reverse()));
    }

    [Fact]
    public void A_delta_of_the_wrong_length_is_refused()
    {
        var buffer = new FedBuffBuffer([0f, 0f], bufferSize: 1, maxStaleness: null, new ConstantStaleness());

        Assert.Contains("holds 3 values; the model has 2", Assert.Throws<ArgumentException>(() => buffer.Add("c", 0, [1f, 2f, 3f])).Message);
    }

    // Moves the buffer on by whole versions with fresh zero deltas (the model stays where it is).
    private static void Advance(FedBuffBuffer buffer, int versions)
    {
        var zero = new float[buffer.Model.Length];
        while (versions-- > 0)
            for (var i = 0; i < buffer.BufferSize; i++) buffer.Add("filler", buffer.Version, zero);
    }
}
