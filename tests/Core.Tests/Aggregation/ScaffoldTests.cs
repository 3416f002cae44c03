using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Planning;

namespace FlMicroservices.Core.Tests.Aggregation;

/// <summary>
/// SCAFFOLD's server step over the stored model [x ; c]: x' = x + η_g · weighted mean of Δy, c' = c + (|S| / N) · unweighted
/// mean of Δc, folded exactly whatever the slicing (slices may straddle the x/c boundary) and the order.
/// </summary>
public class ScaffoldTests
{
    private static Dictionary<string, string> P(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value);

    private static Scaffold Strategy(int totalClients, double serverLr = 1.0, ScaffoldWeighting weighting = ScaffoldWeighting.Uniform) =>
        new(serverLr, totalClients, weighting);

    // P = 3. x = [1, 2, 3], c = [0.5, -1, 0].
    private static readonly float[] Global = [1f, 2f, 3f, 0.5f, -1f, 0f];

    // a (weight 1): Δy = [2, 4, -2], Δc = [1, 2, 4]; b (weight 3): Δy = [0, 2, 6], Δc = [3, 0, -2].
    // Means of Δy: uniform [1, 3, 2]; by examples [(2 + 0) / 4, (4 + 6) / 4, (-2 + 18) / 4] = [0.5, 2.5, 4].
    // Unweighted mean of Δc: [2, 1, 1].
    private static (string, float[], double)[] TwoClients =>
    [
        ("a", [2f, 4f, -2f, 1f, 2f, 4f], 1),
        ("b", [0f, 2f, 6f, 3f, 0f, -2f], 3),
    ];

    public static TheoryData<int, ScaffoldWeighting> Slicings()
    {
        var data = new TheoryData<int, ScaffoldWeighting>();
        // 1: no straddle; 2: slice 1 = [x2, c0] straddles; 3: the boundary falls between slices; 4: slice 0 = [x0, x1, x2, c0]
        // straddles; 6: the whole model in one slice.
        foreach (var sliceElements in new[] { 1, 2, 3, 4, 5, 6, 64 })
            foreach (var weighting in new[] { ScaffoldWeighting.Uniform, ScaffoldWeighting.Examples })
                data.Add(sliceElements, weighting);
        return data;
    }

    [Theory]
    [MemberData(nameof(Slicings))]
    public void Matches_the_hand_computed_step_for_every_slicing(int sliceElements, ScaffoldWeighting weighting)
    {
        // η_g = 0.5: x' = x + 0.5 · mean Δy: uniform [1.5, 3.5, 4], by examples [1.25, 3.25, 5].
        // |S| / N = 2 / 4: c' = c + 0.5 · [2, 1, 1] = [1.5, -0.5, 0.5].
        var result = LinearRounds.Run(Strategy(totalClients: 4, serverLr: 0.5, weighting), Global, sliceElements, TwoClients, new Random(sliceElements));

        float[] expected = weighting == ScaffoldWeighting.Uniform ? [1.5f, 3.5f, 4f, 1.5f, -0.5f, 0.5f] : [1.25f, 3.25f, 5f, 1.5f, -0.5f, 0.5f];
        Assert.Equal(LinearRounds.Bits(expected), LinearRounds.Bits(result));
    }

    [Fact]
    public void With_every_client_participating_and_server_lr_1_c_moves_by_the_plain_mean_of_the_control_deltas()
    {
        // N = |S| = 2: c' = c + [2, 1, 1] = [2.5, 0, 1]; x' = x + [1, 3, 2] = [2, 5, 5].
        var result = LinearRounds.Run(Strategy(totalClients: 2), Global, 4, TwoClients);

        Assert.Equal(LinearRounds.Bits([2f, 5f, 5f, 2.5f, 0f, 1f]), LinearRounds.Bits(result));
    }

    [Fact]
    public void The_control_step_counts_clients_and_only_the_examples_weighting_counts_examples_in_the_model_step()
    {
        // Same deltas, weights 1 and 3 swapped to 3 and 1: only the example-weighted model mean changes.
        var swapped = TwoClients.Select(u => (u.Item1, u.Item2, 4 - u.Item3)).ToArray();
        var examples = LinearRounds.Run(Strategy(totalClients: 4, serverLr: 0.5, ScaffoldWeighting.Examples), Global, 2, swapped);
        var uniform = LinearRounds.Run(Strategy(totalClients: 4, serverLr: 0.5), Global, 2, swapped);

        // By examples: [(6 + 0) / 4, (12 + 2) / 4, (-6 + 6) / 4] = [1.5, 3.5, 0]; x' = [1.75, 3.75, 3]. c' as before.
        Assert.Equal(LinearRounds.Bits([1.75f, 3.75f, 3f, 1.5f, -0.5f, 0.5f]), LinearRounds.Bits(examples));
        Assert.Equal(LinearRounds.Bits([1.5f, 3.5f, 4f, 1.5f, -0.5f, 0.5f]), LinearRounds.Bits(uniform));
    }

    [Fact]
    public void A_slice_delivered_by_fewer_clients_moves_c_by_their_sum_over_N()
    {
        // Slices of 2: {x0, x1}, {x2, c0}, {c1, c2}. Client c (weight 2) delivers only slice 2: Δc1 = 4, Δc2 = 8.
        var round = Strategy(totalClients: 4).BeginRound(6, 2);
        foreach (var (id, delta, weight) in TwoClients)
            for (var s = 0; s < 3; s++) round.Fold(id, s, delta.AsSpan(2 * s, 2), weight);
        round.Fold("c", 2, [4f, 8f], 2);
        var result = new float[6];
        round.Finish(Global, result);

        // x' = x + [1, 3, 2]; c0: (1 + 3) / 4 = 1 -> 1.5; c1: (2 + 0 + 4) / 4 = 1.5 -> 0.5; c2: (4 - 2 + 8) / 4 = 2.5 -> 2.5.
        Assert.Equal(LinearRounds.Bits([2f, 5f, 5f, 1.5f, 0.5f, 2.5f]), LinearRounds.Bits(result));
        Assert.Equal(7, round.FoldedSlices);
    }

    [Fact]
    public void With_server_lr_1_the_model_part_is_FedAvg_bit_for_bit_by_examples_or_with_unit_weights()
    {
        var rng = new Random(5);
        for (var trial = 0; trial < 10; trial++)
        {
            var weights = rng.Next(1, 200);
            var updates = LinearRounds.RandomUpdates(rng, rng.Next(1, 6), 2 * weights);
            var global = LinearRounds.RandomUpdates(rng, 1, 2 * weights)[0].Delta;

            var examples = LinearRounds.Run(Strategy(totalClients: 10, weighting: ScaffoldWeighting.Examples), global, rng.Next(1, 50), updates, rng);
            var uniform = LinearRounds.Run(Strategy(totalClients: 10), global, rng.Next(1, 50), updates, rng);
            var fedAvg = LinearRounds.RunWhole(new FedAvg(), global[..weights],
                updates.Select(u => (u.Id, u.Delta[..weights], u.Weight)).ToArray());
            var fedAvgUnitWeights = LinearRounds.RunWhole(new FedAvg(), global[..weights],
                updates.Select(u => (u.Id, u.Delta[..weights], 1.0)).ToArray());

            Assert.Equal(LinearRounds.Bits(fedAvg), LinearRounds.Bits(examples.AsSpan(0, weights)));
            Assert.Equal(LinearRounds.Bits(fedAvgUnitWeights), LinearRounds.Bits(uniform.AsSpan(0, weights)));
        }
    }

    [Fact]
    public void Identical_updates_move_x_by_server_lr_times_the_update_and_c_by_S_over_N_times_it()
    {
        var rng = new Random(21);
        for (var trial = 0; trial < 20; trial++)
        {
            var weights = rng.Next(1, 100);
            // Multiples of 2^-10 up to 8: every weighted term, mean and scaled value below is exact in float.
            var update = Enumerable.Range(0, 2 * weights).Select(_ => rng.Next(-8192, 8193) / 1024f).ToArray();
            var global = Enumerable.Range(0, 2 * weights).Select(_ => rng.Next(-8192, 8193) / 1024f).ToArray();
            var clients = Enumerable.Range(0, rng.Next(1, 5)).Select(c => ($"c{c}", update, (double)rng.Next(1, 100_000))).ToArray();
            var total = clients.Length * 2; // |S| / N = 1/2

            var weighting = trial % 2 == 0 ? ScaffoldWeighting.Uniform : ScaffoldWeighting.Examples;
            var result = LinearRounds.Run(Strategy(total, serverLr: 0.25, weighting), global, rng.Next(1, 40), clients, rng);

            for (var i = 0; i < weights; i++)
                Assert.Equal(global[i] + 0.25f * update[i], result[i]);
            for (var i = weights; i < 2 * weights; i++)
                Assert.Equal(global[i] + 0.5f * update[i], result[i]);
        }
    }

    [Fact]
    public void Streamed_slices_in_any_order_with_duplicates_dropped_equal_all_at_once_bit_for_bit()
    {
        var rng = new Random(99);
        for (var trial = 0; trial < 20; trial++)
        {
            var weights = rng.Next(1, 300);
            var stored = 2 * weights;
            var sliceElements = rng.Next(1, 60);
            var updates = LinearRounds.RandomUpdates(rng, rng.Next(1, 7), stored);
            var global = LinearRounds.RandomUpdates(rng, 1, stored)[0].Delta;
            var total = updates.Length + rng.Next(0, 5);
            var weighting = trial % 2 == 0 ? ScaffoldWeighting.Uniform : ScaffoldWeighting.Examples;

            var whole = LinearRounds.RunWhole(Strategy(total, 0.7, weighting), global, updates);

            // Every (client, slice) once, plus redelivered copies, shuffled; the caller drops copies as the aggregation
            // service does (IRoundAggregator's contract).
            var sliceCount = (stored + sliceElements - 1) / sliceElements;
            var deliveries = new List<(int Client, int Slice)>();
            for (var c = 0; c < updates.Length; c++)
                for (var s = 0; s < sliceCount; s++)
                {
                    deliveries.Add((c, s));
                    if (rng.NextDouble() < 0.3) deliveries.Add((c, s));
                }
            LinearRounds.Shuffle(deliveries, rng);
            var round = Strategy(total, 0.7, weighting).BeginRound(stored, sliceElements);
            var seen = new HashSet<(int, int)>();
            foreach (var (c, s) in deliveries)
            {
                if (!seen.Add((c, s))) continue;
                var start = s * sliceElements;
                round.Fold(updates[c].Id, s, updates[c].Delta.AsSpan(start, Math.Min(sliceElements, stored - start)), updates[c].Weight);
            }
            var streamed = new float[stored];
            round.Finish(global, streamed);

            Assert.Equal(LinearRounds.Bits(whole), LinearRounds.Bits(streamed));
        }
    }

    [Fact]
    public void A_round_checkpointed_after_the_straddling_slice_resumes_to_the_same_bits()
    {
        // 10 weights in slices of 4: slice 2 = [x8, x9, c0, c1] straddles.
        var rng = new Random(8);
        var updates = LinearRounds.RandomUpdates(rng, 4, 20);
        var global = LinearRounds.RandomUpdates(rng, 1, 20)[0].Delta;
        var folds = (from s in new[] { 2, 0, 4, 1, 3 } from u in updates select (u, s)).ToList();

        float[] Run(int? checkpointAfter)
        {
            var round = Strategy(totalClients: 6, serverLr: 2, ScaffoldWeighting.Examples).BeginRound(20, 4);
            for (var i = 0; i < folds.Count; i++)
            {
                if (i == checkpointAfter)
                {
                    var bytes = Write((ICheckpointable)round);
                    round = Strategy(totalClients: 6, serverLr: 2, ScaffoldWeighting.Examples).BeginRound(20, 4);
                    Read((ICheckpointable)round, bytes);
                    Assert.Equal(i, round.FoldedSlices);
                }
                var ((id, delta, weight), s) = folds[i];
                round.Fold(id, s, delta.AsSpan(4 * s, 4), weight);
            }
            var next = new float[20];
            round.Finish(global, next);
            return next;
        }

        var uninterrupted = Run(null);
        Assert.Equal(LinearRounds.Bits(uninterrupted), LinearRounds.Bits(Run(4))); // just after every client's straddling slice
        Assert.Equal(LinearRounds.Bits(uninterrupted), LinearRounds.Bits(Run(11)));
        Assert.NotEqual(LinearRounds.Bits(global), LinearRounds.Bits(uninterrupted));
    }

    [Fact]
    public void A_checkpoint_of_another_shape_or_strategy_is_refused()
    {
        var round = Strategy(3).BeginRound(20, 4);
        round.Fold("a", 2, [1f, 2f, 3f, 4f], 1);
        var bytes = Write((ICheckpointable)round);

        var error = Assert.Throws<InvalidDataException>(() => Read((ICheckpointable)Strategy(3).BeginRound(22, 4), bytes));
        Assert.Contains("20 parameters", error.Message);
        Assert.Throws<InvalidDataException>(() => Read((ICheckpointable)new FedAvg().BeginRound(20, 4), bytes));
        var fedAvgBytes = Write((ICheckpointable)new FedAvg().BeginRound(20, 4));
        Assert.Throws<InvalidDataException>(() => Read((ICheckpointable)Strategy(3).BeginRound(20, 4), fedAvgBytes));
    }

    [Fact]
    public void A_bad_straddling_slice_changes_nothing()
    {
        var round = Strategy(2).BeginRound(6, 4);
        Assert.Throws<ArgumentException>(() => round.Fold("a", 0, [1f, 2f, 3f, float.NaN], 1));
        Assert.Throws<ArgumentException>(() => round.Fold("a", 0, [1f, 2f, 3f], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => round.Fold("a", 0, [1f, 2f, 3f, 4f], 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => round.Fold("a", 2, [1f, 2f], 1));
        Assert.Equal(0, round.FoldedSlices);
        Assert.Throws<InvalidOperationException>(() => round.Finish(Global, new float[6]));
    }

    [Theory]
    [InlineData(ScaffoldWeighting.Uniform)]
    [InlineData(ScaffoldWeighting.Examples)]
    public void Retracting_every_slice_of_a_client_straddling_one_included_equals_never_folding_it(ScaffoldWeighting weighting)
    {
        // 10 weights in slices of 3: slice 3 = [x9, c0, c1] straddles.
        var rng = new Random(31);
        var honest = LinearRounds.RandomUpdates(rng, 3, 20);
        var rejected = LinearRounds.RandomUpdates(rng, 1, 20)[0] with { Id = "x" };
        var global = LinearRounds.RandomUpdates(rng, 1, 20)[0].Delta;

        var expected = LinearRounds.Run(Strategy(5, 0.5, weighting), global, 3, honest);

        var round = Strategy(5, 0.5, weighting).BeginRound(20, 3);
        var retract = Assert.IsAssignableFrom<IRetractableRound>(round);
        for (var s = 0; s < 7; s++)
        {
            var length = Math.Min(3, 20 - 3 * s);
            round.Fold(rejected.Id, s, rejected.Delta.AsSpan(3 * s, length), rejected.Weight);
            foreach (var (id, delta, weight) in honest) round.Fold(id, s, delta.AsSpan(3 * s, length), weight);
        }
        for (var s = 0; s < 7; s++) retract.Retract(rejected.Id, s, rejected.Delta.AsSpan(3 * s, Math.Min(3, 20 - 3 * s)), rejected.Weight);
        Assert.Equal(21, round.FoldedSlices);
        var result = new float[20];
        round.Finish(global, result);

        Assert.Equal(LinearRounds.Bits(expected), LinearRounds.Bits(result));
    }

    [Fact]
    public void Retracting_what_was_not_folded_is_refused_and_changes_nothing()
    {
        var round = Strategy(4).BeginRound(6, 4);
        var retract = (IRetractableRound)round;
        round.Fold("a", 0, [1f, 2f, 3f, 4f], 2);
        round.Fold("a", 1, [5f, 6f], 2);

        Assert.Throws<ArgumentException>(() => retract.Retract("b", 1, [7f, 8f], 2)); // only a's c1, c2 are there: not these
        Assert.Throws<ArgumentException>(() => retract.Retract("b", 0, [1f, 2f, 3f, 9f], 2)); // x half matches, c half does not
        var result = new float[6];
        round.Finish(Global, result);

        // Only a, uniform: x' = x + [1, 2, 3]; c' = c + [4, 5, 6] / 4.
        Assert.Equal(LinearRounds.Bits([2f, 4f, 6f, 1.5f, 0.25f, 1.5f]), LinearRounds.Bits(result));
        Assert.Throws<InvalidOperationException>(() => retract.Retract("a", 1, [5f, 6f], 2));
    }

    [Fact]
    public void A_straddling_slice_whose_control_half_overflows_is_not_folded_at_all()
    {
        var round = Strategy(4).BeginRound(6, 4);
        // c0 = 3e9 with weight 1 leaves the exact range (per slice, weight * max|value| must stay below 2^31).
        Assert.Throws<OverflowException>(() => round.Fold("a", 0, [1f, 2f, 3f, 3e9f], 1));
        Assert.Equal(0, round.FoldedSlices);
        round.Fold("b", 0, [4f, 4f, 4f, 4f], 1);
        round.Fold("b", 1, [4f, 4f], 1);
        var result = new float[6];
        round.Finish(Global, result);

        // Only b: x' = x + 4; c' = c + 4 / 4.
        Assert.Equal(LinearRounds.Bits([5f, 6f, 7f, 1.5f, 0f, 1f]), LinearRounds.Bits(result));
    }

    [Fact]
    public void Without_the_total_number_of_clients_a_round_cannot_finish_and_the_error_names_the_setting()
    {
        var strategy = StrategyCatalog.Create("scaffold"); // what the registry validates: the round plan adds N to each round
        var round = strategy.BeginRound(6, 4);
        round.Fold("a", 0, [1f, 2f, 3f, 4f], 1);
        round.Fold("a", 1, [5f, 6f], 1);

        var error = Assert.Throws<InvalidOperationException>(() => round.Finish(Global, new float[6]));
        Assert.Contains("RoundSettings.TotalClients", error.Message);
    }

    [Fact]
    public void More_contributors_than_clients_fail_the_round()
    {
        var round = Strategy(totalClients: 1).BeginRound(6, 6);
        foreach (var (id, delta, weight) in TwoClients) round.Fold(id, 0, delta, weight);

        var error = Assert.Throws<InvalidOperationException>(() => round.Finish(Global, new float[6]));
        Assert.Contains("the total number of clients N is 1", error.Message);
    }

    [Theory]
    [InlineData("server-lr", "abc")]
    [InlineData("server-lr", "0")]
    [InlineData("server-lr", "-1")]
    [InlineData("server-lr", "Infinity")]
    [InlineData("scaffold-weighting", "median")]
    public void Invalid_parameters_are_refused_naming_them(string key, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => StrategyCatalog.Create("scaffold", P((key, value))));

        Assert.Contains($"'{key}'", error.Message);
        Assert.Contains(value, error.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("2.5")]
    [InlineData("many")]
    public void An_old_messages_bad_total_number_of_clients_is_refused_naming_its_key(string value)
    {
        var old = new RoundStarted("t", 1, 0, ["a"], DateTimeOffset.UnixEpoch, new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, 4, "mlp", "scaffold",
            P(("scaffold-total-clients", value)), 0.5, 1);

        var error = Assert.Throws<ArgumentException>(() => RoundPlan.SettingsOf(old));

        Assert.Contains("'scaffold-total-clients'", error.Message);
        Assert.Contains(value, error.Message);
    }

    [Fact]
    public void Parameters_are_read_in_the_invariant_culture_with_documented_defaults()
    {
        var defaults = Assert.IsType<Scaffold>(StrategyCatalog.Create("scaffold"));
        var set = Assert.IsType<Scaffold>(StrategyCatalog.Create("scaffold",
            P(("server-lr", " 0.5 "), ("scaffold-weighting", "Examples"), ("momentum", "0.9")), settings: new RoundSettings(TotalClients: 30)));

        Assert.Equal(("scaffold", 1.0, (int?)null, ScaffoldWeighting.Uniform), (defaults.Name, defaults.ServerLearningRate, defaults.TotalClients, defaults.Weighting));
        Assert.Equal((0.5, (int?)30, ScaffoldWeighting.Examples), (set.ServerLearningRate, set.TotalClients, set.Weighting));
        Assert.Contains("scaffold", StrategyCatalog.Names);
    }

    [Fact]
    public void The_round_plan_sets_N_to_the_healthy_clients_and_the_strategy_reads_it()
    {
        var spec = new TaskSpec
        {
            ModelName = "mlp", SampleShape = [4], ClassCount = 2, Rounds = 1, Training = new TrainingConfig(1, 10, 0.1),
            Strategy = "scaffold", StrategyParameters = P(("server-lr", "2")),
        };

        var settings = RoundPlanner.Plan(spec, new RoundContext(3, HealthyClients: 12, SampledClients: 4));
        var strategy = Assert.IsType<Scaffold>(StrategyCatalog.Create("scaffold", spec.StrategyParameters, settings: settings));

        Assert.Equal(new RoundSettings(TotalClients: 12, ControlVariates: true, Signing: SigningAlgorithms.EcdsaP256), settings);
        Assert.Equal((12, 2.0), (strategy.TotalClients, strategy.ServerLearningRate));
    }

    [Fact]
    public void Central_DP_and_max_norm_are_refused_with_scaffold()
    {
        var dp = Assert.Throws<ArgumentException>(() => StrategyCatalog.Create("scaffold", settings: new RoundSettings(CentralDp: new CentralDpSettings(1, 1))));
        var bounded = Assert.Throws<ArgumentException>(() => StrategyCatalog.Create("scaffold", P(("max-norm", "1"))));

        Assert.Contains("central differential privacy", dp.Message);
        Assert.Contains("'max-norm'", bounded.Message);
    }

    [Fact]
    public void A_model_of_odd_length_is_not_weights_and_control_variate()
    {
        var error = Assert.Throws<ArgumentException>(() => Strategy(2).BeginRound(7, 4));
        Assert.Contains("[x ; c]", error.Message);
    }

    [Fact]
    public void The_layout_stores_weights_then_a_zero_control_variate_and_reads_them_back()
    {
        float[] weights = [1f, -2f, 3f];
        var layout = ModelLayout.Of(new RoundSettings(TotalClients: 2, ControlVariates: true));
        var stored = layout.InitialModel(weights);

        Assert.Equal([1f, -2f, 3f, 0f, 0f, 0f], stored);
        Assert.Same(weights, ModelLayout.Plain.InitialModel(weights));
        Assert.Equal(6, layout.StoredLength(3));
        Assert.Equal(3, ModelLayout.Plain.StoredLength(3));
        Assert.Equal(weights, layout.Weights(stored).ToArray());
        Assert.Equal([0.5f, -1f, 0f], layout.ControlVariates(Global).ToArray());
        Assert.Equal(Global, ModelLayout.Plain.Weights(Global).ToArray());
        Assert.Equal([1f, 2f, 3f], layout.Weights(Global).ToArray());
        Assert.Throws<ArgumentException>(() => ScaffoldLayout.WeightCount(5));
        Assert.False(ScaffoldLayout.IsScaffold("SCAFFOLD"));
    }

    private static byte[] Write(ICheckpointable state)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) state.WriteCheckpoint(writer);
        return stream.ToArray();
    }

    private static void Read(ICheckpointable state, byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        state.ReadCheckpoint(reader);
    }
}
