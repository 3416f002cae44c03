using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Privacy.Dp;
using FlMicroservices.Core.Tests.Aggregation;

namespace FlMicroservices.Core.Tests.Privacy.Dp;

public class DpFedAvgTests
{
    private static double Norm(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var v in values) sum += (double)v * v;
        return Math.Sqrt(sum);
    }

    private static float[] Scaled(float[] values, double factor) => values.Select(v => (float)(v * factor)).ToArray();

    /// <summary>A random direction scaled to L2 norm <paramref name="norm"/>.</summary>
    private static float[] UpdateOfNorm(Random rng, int parameters, double norm)
    {
        var values = new float[parameters];
        for (var i = 0; i < parameters; i++) values[i] = (float)(rng.NextDouble() - 0.5);
        return Scaled(values, norm / Norm(values));
    }

    private static DpFedAvg NoNoise(double clip, double? expectedClients) =>
        new(new FedAvg(), new DpFedAvgOptions(0, clip) { ExpectedClients = expectedClients });

    [Fact]
    public void An_update_of_norm_100_moves_the_sum_by_at_most_the_clip_norm_1()
    {
        var rng = new Random(1);
        const int parameters = 50;
        var others = Enumerable.Range(0, 4).Select(i => ($"c{i}", UpdateOfNorm(rng, parameters, 0.5), 10.0)).ToList();
        var huge = ("huge", UpdateOfNorm(rng, parameters, 100), 10.0);

        // m = 1, no noise: the result is global + Σ clip(Δᵢ), so the difference is exactly the huge client's contribution.
        var without = LinearRounds.Run(NoNoise(1, 1), new float[parameters], 8, others);
        var with = LinearRounds.Run(NoNoise(1, 1), new float[parameters], 8, [.. others, huge], new Random(2));
        var moved = new float[parameters];
        for (var i = 0; i < parameters; i++) moved[i] = with[i] - without[i];

        Assert.True(Norm(moved) <= 1 + 1e-5, $"the norm-100 update moved the sum by {Norm(moved)}");
        Assert.Equal(1, Norm(moved), 1e-5); // clipped to exactly C, in the update's own direction
        var direction = Scaled(huge.Item2, 1.0 / 100);
        for (var i = 0; i < parameters; i++) Assert.Equal(direction[i], moved[i], 1e-5f);
    }

    [Fact]
    public void Updates_within_the_clip_norm_pass_unchanged()
    {
        var rng = new Random(3);
        var small = UpdateOfNorm(rng, 20, 0.99);

        var result = LinearRounds.Run(NoNoise(1, 1), new float[20], 20, [("a", small, 5)]);

        LinearRounds.Near(small, result, 1e-7f);
    }

    [Fact]
    public void The_average_divides_by_the_expected_number_of_clients_and_ignores_example_counts()
    {
        var rng = new Random(4);
        var updates = new (string, float[], double)[]
        {
            ("a", UpdateOfNorm(rng, 12, 0.3), 1),
            ("b", UpdateOfNorm(rng, 12, 0.6), 1_000),
            ("c", UpdateOfNorm(rng, 12, 0.2), 3),
            ("d", UpdateOfNorm(rng, 12, 0.9), 7),
        };
        var sum = new double[12];
        foreach (var (_, delta, _) in updates)
            for (var i = 0; i < 12; i++) sum[i] += delta[i];
        var global = UpdateOfNorm(rng, 12, 2);

        var fixedDenominator = LinearRounds.Run(NoNoise(1, 10), global, 5, updates);
        var byClients = LinearRounds.Run(NoNoise(1, null), global, 5, updates);

        // Four of an expected ten clients arrived: each counts 1/10, whatever its example count.
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(global[i] + sum[i] / 10, fixedDenominator[i], 1e-6);
            Assert.Equal(global[i] + sum[i] / 4, byClients[i], 1e-6);
        }
    }

    [Theory]
    [InlineData(false, 1.3, 0.7, 1.3)]
    [InlineData(true, 1.0, 2.0, 1.1547005383792515)] // σ_b = max(m/20, z) = 1: z_Δ = (1 − 1/4)^(−1/2)
    public void The_noise_on_the_average_has_standard_deviation_z_times_c_over_m(bool adaptive, double z, double clip, double updateNoise)
    {
        const int parameters = 200_000;
        const double m = 10;
        var strategy = new DpFedAvg(new FedAvg(), new DpFedAvgOptions(z, clip) { ExpectedClients = m, Adaptive = adaptive, Seed = 17 });
        var zero = new float[parameters];

        // Ten clients that all send zero: whatever the result holds is noise / m.
        var result = LinearRounds.Run(strategy, zero, 65_536, Enumerable.Range(0, 10).Select(i => ($"c{i}", zero, 1.0)).ToList());

        Assert.Equal(updateNoise, strategy.UpdateNoiseMultiplier, 1e-12);
        Assert.Equal(updateNoise * clip, strategy.LastRound!.NoiseStd, 1e-12);
        GaussianNoiseTests.AssertNormal(result, updateNoise * clip / m);
    }

    [Fact]
    public void Adaptive_clipping_moves_the_clip_norm_to_the_target_quantile_of_the_norms()
    {
        // Norms uniform in [0, 10] with γ = 0.5: the median is 5. Start far below it, at C = 0.1.
        var rng = new Random(5);
        const int clients = 100, parameters = 16;
        var strategy = new DpFedAvg(new FedAvg(),
            new DpFedAvgOptions(1.0, 0.1) { ExpectedClients = clients, Adaptive = true, TargetQuantile = 0.5, Seed = 3 });
        var model = new float[parameters];
        var late = new List<double>();

        for (var round = 0; round < 150; round++)
        {
            var updates = Enumerable.Range(0, clients).Select(i => ($"c{i}", UpdateOfNorm(rng, parameters, 10 * rng.NextDouble()), 1.0)).ToList();
            model = LinearRounds.Run(strategy, model, parameters, updates);
            if (round >= 100) late.Add(strategy.ClipNorm);
        }

        // From 0.1 the log of C rises by at most η·γ = 0.1 a round, so 100 rounds reach the median (ln 50 = 3.9 away)
        // with room to spare; the last 50 then fluctuate around it (the noisy fraction has standard deviation
        // σ_b/m = 0.05 plus the sampling spread of 100 norms, moving ln C by about 0.03).
        Assert.InRange(late.Average(), 4.5, 5.5);
        Assert.All(late, c => Assert.InRange(c, 3.5, 6.5));
        Assert.Equal(150, strategy.RoundsBegun);
    }

    [Fact]
    public void Adaptive_clipping_follows_other_quantiles_too()
    {
        var rng = new Random(6);
        var strategy = new DpFedAvg(new FedAvg(),
            new DpFedAvgOptions(0.5, 1) { ExpectedClients = 100, Adaptive = true, TargetQuantile = 0.9, Seed = 4 });
        var model = new float[8];
        for (var round = 0; round < 120; round++)
            model = LinearRounds.Run(strategy, model, 8,
                Enumerable.Range(0, 100).Select(i => ($"c{i}", UpdateOfNorm(rng, 8, 10 * rng.NextDouble()), 1.0)).ToList());

        Assert.InRange(strategy.ClipNorm, 8.0, 10.0); // the 0.9-quantile of U[0, 10] is 9
    }

    [Fact]
    public void The_same_seed_gives_the_same_noise_and_each_round_draws_afresh()
    {
        var rng = new Random(7);
        var updates = LinearRounds.RandomUpdates(rng, 5, 300);
        float[] Round(long seed, int rounds)
        {
            var strategy = new DpFedAvg(new FedAvg(), new DpFedAvgOptions(1.1, 0.5) { ExpectedClients = 5, Seed = seed });
            float[] model = new float[300];
            for (var r = 0; r < rounds; r++) model = LinearRounds.Run(strategy, new float[300], 64, updates);
            return model;
        }

        Assert.Equal(LinearRounds.Bits(Round(42, 1)), LinearRounds.Bits(Round(42, 1)));
        Assert.NotEqual(LinearRounds.Bits(Round(42, 1)), LinearRounds.Bits(Round(43, 1)));
        Assert.NotEqual(LinearRounds.Bits(Round(42, 1)), LinearRounds.Bits(Round(42, 2))); // round 2 has its own stream
    }

    [Fact]
    public void Without_a_seed_the_noise_differs_every_time()
    {
        var updates = LinearRounds.RandomUpdates(new Random(8), 3, 100);
        float[] Once() => LinearRounds.Run(new DpFedAvg(new FedAvg(), new DpFedAvgOptions(1, 1) { ExpectedClients = 3 }), new float[100], 30, updates);

        Assert.NotEqual(LinearRounds.Bits(Once()), LinearRounds.Bits(Once()));
    }

    [Theory]
    [InlineData("fedavg", false)]
    [InlineData("fedavg", true)]
    [InlineData("fedadam", false)]
    [InlineData("fedavgm", true)]
    public void Slices_streamed_in_any_order_and_supplied_norms_give_the_same_bits(string inner, bool adaptive)
    {
        const int parameters = 150, sliceElements = 16;
        var rng = new Random(9);
        var global = LinearRounds.RandomUpdates(rng, 1, parameters)[0].Delta;
        DpFedAvg Create() => new(StrategyFactory.Create(inner),
            new DpFedAvgOptions(0.8, 1.5) { ExpectedClients = 6, Adaptive = adaptive, Seed = 21 });
        var inOrder = Create();
        var shuffled = Create();
        var supplied = Create();

        for (var round = 0; round < 3; round++)
        {
            var updates = Enumerable.Range(0, 6).Select(i => ($"c{i}", UpdateOfNorm(rng, parameters, 0.4 + i * 0.5), (double)(i + 1))).ToArray();
            var expected = LinearRounds.Run(inOrder, global, sliceElements, updates);
            var reordered = LinearRounds.Run(shuffled, global, sliceElements, LinearRounds.Shuffled(updates, rng), new Random(round));

            var direct = supplied.BeginRound(parameters, sliceElements);
            foreach (var (id, delta, _) in updates) ((IClientNormAware)direct).SetClientNorm(id, NormBounding.L2Norm(delta));
            var folds = new List<(int Client, int Slice)>();
            for (var c = 0; c < updates.Length; c++)
                for (var s = 0; s < 10; s++) folds.Add((c, s));
            LinearRounds.Shuffle(folds, new Random(round + 50));
            foreach (var (c, s) in folds)
                direct.Fold(updates[c].Item1, s, updates[c].Item2.AsSpan(s * sliceElements, Math.Min(sliceElements, parameters - s * sliceElements)), updates[c].Item3);
            var fromNorms = new float[parameters];
            direct.Finish(global, fromNorms);

            Assert.Equal(LinearRounds.Bits(expected), LinearRounds.Bits(reordered));
            Assert.Equal(LinearRounds.Bits(expected), LinearRounds.Bits(fromNorms));
            Assert.Equal(inOrder.ClipNorm, shuffled.ClipNorm);
            Assert.Equal(inOrder.ClipNorm, supplied.ClipNorm);
            if (round == 0) Assert.Equal(3, inOrder.LastRound!.ClippedClients); // norms 1.9, 2.4, 2.9 exceed C = 1.5
            global = expected;
        }
    }

    [Fact]
    public void The_inner_server_optimizer_steps_on_the_privatized_mean()
    {
        var rng = new Random(10);
        var wrapped = new DpFedAvg(new FedAvgM(1.0, 0.9), new DpFedAvgOptions(0, 1) { ExpectedClients = 4 });
        var bare = new FedAvgM(1.0, 0.9);
        var model = new float[10];
        var reference = new float[10];

        for (var round = 0; round < 3; round++)
        {
            var updates = Enumerable.Range(0, 4).Select(i => ($"c{i}", UpdateOfNorm(rng, 10, 0.4 + i), 2.0)).ToArray();
            model = LinearRounds.Run(wrapped, model, 4, updates);
            // The same step by hand: the clipped sum over m = 4, fed to FedAvgM as one update.
            var mean = new float[10];
            foreach (var (_, delta, _) in updates)
            {
                var scale = NormBounding.ScaleFor(NormBounding.L2Norm(delta), 1);
                for (var i = 0; i < 10; i++) mean[i] += (float)(delta[i] * scale) / 4;
            }
            reference = LinearRounds.Run(bare, reference, 10, [("mean", mean, 1)]);
            LinearRounds.Near(reference, model, 1e-6f);
        }
    }

    [Fact]
    public void An_incomplete_client_is_clipped_by_what_it_delivered_and_its_missing_slice_counts_zero()
    {
        var round = NoNoise(1, 2).BeginRound(4, 2);
        round.Fold("a", 1, [0f, 4f], 1); // slice 0 never comes: norm 4, scaled by 1/4
        round.Fold("b", 0, [0.5f, 0f], 1);
        round.Fold("b", 1, [0f, 0f], 1);
        var result = new float[4];

        round.Finish(new float[4], result);

        Assert.Equal([0.25f, 0f, 0f, 0.5f], result); // (b + clip(a)) / m with m = 2
    }

    [Fact]
    public void Checkpoints_carry_the_clip_norm_and_the_round_count()
    {
        var rng = new Random(11);
        DpFedAvg Create() => new(new FedAdam(), new DpFedAvgOptions(1, 0.2) { ExpectedClients = 5, Adaptive = true, Seed = 8 });
        var original = Create();
        var model = new float[40];
        for (var r = 0; r < 3; r++) model = LinearRounds.Run(original, model, 16, LinearRounds.RandomUpdates(rng, 5, 40));
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) original.WriteCheckpoint(writer);
        stream.Position = 0;
        var restored = Create();
        using (var reader = new BinaryReader(stream)) restored.ReadCheckpoint(reader);

        Assert.Equal(original.ClipNorm, restored.ClipNorm);
        Assert.NotEqual(0.2, restored.ClipNorm);
        Assert.Equal(3, restored.RoundsBegun);
        var next = LinearRounds.RandomUpdates(rng, 5, 40);
        Assert.Equal(LinearRounds.Bits(LinearRounds.Run(original, model, 16, next)), LinearRounds.Bits(LinearRounds.Run(restored, model, 16, next)));
    }

    [Fact]
    public void Misuse_is_refused_with_a_clear_error()
    {
        var strategy = NoNoise(1, 2);
        var round = strategy.BeginRound(4, 2);
        Assert.Throws<InvalidOperationException>(() => round.Finish(new float[4], new float[4]));
        round.Fold("a", 0, [1f, 1f], 1);
        Assert.Throws<ArgumentException>(() => round.Fold("a", 0, [1f, 1f], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => round.Fold("a", 2, [1f, 1f], 1));
        Assert.Throws<ArgumentException>(() => round.Fold("a", 1, [1f], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => round.Fold("a", 1, [1f, 1f], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ((IClientNormAware)round).SetClientNorm("b", double.NaN));
        round.Finish(new float[4], new float[4]);
        Assert.Throws<InvalidOperationException>(() => round.Finish(new float[4], new float[4]));
        Assert.Throws<InvalidOperationException>(() => round.Fold("b", 0, [1f, 1f], 1));

        Assert.Equal("ClipNorm", Assert.Throws<ArgumentOutOfRangeException>(() => new DpFedAvg(new FedAvg(), new DpFedAvgOptions(1, 0))).ParamName);
        Assert.Equal("NoiseMultiplier", Assert.Throws<ArgumentOutOfRangeException>(() => new DpFedAvg(new FedAvg(), new DpFedAvgOptions(-1, 1))).ParamName);
        Assert.Equal("CountNoiseStd", Assert.Throws<ArgumentOutOfRangeException>(
            () => new DpFedAvg(new FedAvg(), new DpFedAvgOptions(2, 1) { Adaptive = true, CountNoiseStd = 1 })).ParamName);
        Assert.Equal("TargetQuantile", Assert.Throws<ArgumentOutOfRangeException>(
            () => new DpFedAvg(new FedAvg(), new DpFedAvgOptions(1, 1) { Adaptive = true, TargetQuantile = 1.5 })).ParamName);
        Assert.Equal("fedavg", strategy.Name);
    }
}
