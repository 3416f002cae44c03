using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Services.Tests.Aggregation;

public class RoundAggregationTests
{
    private const string TaskId = "task-1";
    private const int RoundNumber = 3;
    private const int Parameters = 5;
    private const int SliceSize = 2; // 5 parameters in slices of 2 -> 3 slices: [0,2) [2,4) [4,5)

    // a and b: small integers so that the expected FedAvg result is exact in float.
    private static readonly float[] DeltaA = [4f, 0f, -4f, 8f, 1f];
    private static readonly float[] DeltaB = [0f, 4f, 4f, 0f, 1f];
    private static readonly float[] Global = [10f, -1f, 0.5f, 0f, 2f];

    private static RoundStarted Started(double quorum, params string[] participants) =>
        new(TaskId, RoundNumber, 2, participants, new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, SliceSize, "mlp", "fedavg", [], quorum, 1);

    private static RoundAggregation NewRound(double quorum, params string[] participants)
    {
        var started = Started(quorum, participants);
        return new RoundAggregation(started, Parameters, new FedAvg());
    }

    // Every slice folded on arrival: for the tests of slices that stay folded when nothing reads them back.
    private static RoundAggregation NewUngroupedRound(params string[] participants) =>
        new(Started(0.5, participants), Parameters, new FedAvg(), groupSize: 1);

    private static RoundAggregation NewRound(params string[] participants) => NewRound(0.5, participants);

    private static List<UpdateSlice> Slices(string client, float[] delta, double weight) =>
        UpdateSliceCodec.Slice(TaskId, RoundNumber, client, delta, weight, SliceSize).ToList();

    private static UpdateSubmitted Manifest(string client, IReadOnlyList<UpdateSlice> slices, int examples, double loss = 0.5) =>
        new(TaskId, RoundNumber, client, examples, slices.Count, Parameters, UpdateDigest.Of(slices), null, new LocalMetrics(loss, 1.5, 12));

    private static void Deliver(RoundAggregation round, string client, float[] delta, int examples, double loss = 0.5)
    {
        var slices = Slices(client, delta, examples);
        foreach (var slice in slices) Assert.Equal(SliceOutcome.Folded, round.Fold(slice));
        round.AcceptManifest(Manifest(client, slices, examples, loss));
    }

    [Fact]
    public void A_declined_participant_completes_the_round_and_is_reported_with_its_reason_and_seconds()
    {
        var round = NewRound("a", "b", "c");
        Deliver(round, "a", DeltaA, 1);
        Deliver(round, "b", DeltaB, 3);
        Assert.False(round.IsComplete); // c has neither sent nor declined: the round would wait for its deadline

        Assert.Null(round.Decline(new UpdateDeclined(TaskId, RoundNumber, "c", "late: it would need 150 simulated seconds", 150)));

        Assert.True(round.IsComplete);
        var result = new float[Parameters];
        var outcome = round.Close(Global, result);
        Assert.True(outcome.Succeeded);
        Assert.Equal(["a", "b"], outcome.Contributors.Select(c => c.ClientId));
        Assert.Equal(["c"], outcome.Dropouts);
        var declined = Assert.Single(outcome.Declined!);
        Assert.Equal(("c", "late: it would need 150 simulated seconds", (double?)150), (declined.ClientId, declined.Reason, declined.Seconds));
    }

    [Fact]
    public void A_decline_from_an_outsider_or_after_an_update_is_not_taken()
    {
        var round = NewRound("a", "b");
        Deliver(round, "a", DeltaA, 1);

        Assert.Equal("not selected for this round", round.Decline(new UpdateDeclined(TaskId, RoundNumber, "mallory", "no")));
        Assert.Equal("it already sent (part of) an update", round.Decline(new UpdateDeclined(TaskId, RoundNumber, "a", "changed my mind")));
        Assert.False(round.IsComplete);
        Assert.Empty(round.Declines);
    }

    [Fact]
    public void Too_few_updates_after_declines_fail_the_round_at_once_and_say_how_many_declined()
    {
        var round = NewRound(0.5, "a", "b", "c");
        Deliver(round, "a", DeltaA, 1);
        round.Decline(new UpdateDeclined(TaskId, RoundNumber, "b", "outside its node's training window 22:00-06:00"));
        round.Decline(new UpdateDeclined(TaskId, RoundNumber, "c", "outside its node's training window 22:00-06:00"));

        Assert.True(round.IsComplete);
        var outcome = round.Close(Global, new float[Parameters]);
        Assert.False(outcome.Succeeded);
        Assert.Equal("quorum not reached: 1 complete updates, 2 needed (2 declined)", outcome.FailureReason);
    }

    [Fact]
    public void An_over_selected_round_completes_with_its_target_of_updates_and_counts_its_quorum_from_the_target()
    {
        var started = Started(1.0, "a", "b", "c") with { Settings = new RoundSettings(TargetUpdates: 2) };
        var round = new RoundAggregation(started, Parameters, new FedAvg());
        Deliver(round, "a", DeltaA, 1);
        Assert.False(round.IsComplete);
        Deliver(round, "b", DeltaB, 3);

        Assert.True(round.IsComplete); // c is still training: the round does not wait for it
        Assert.Equal(2, RoundAggregation.QuorumOf(started)); // quorum 1.0 of the 2 updates asked for, not of the 3 picked
        var result = new float[Parameters];
        var outcome = round.Close(Global, result);
        Assert.True(outcome.Succeeded);
        Assert.Equal(["a", "b"], outcome.Contributors.Select(c => c.ClientId));
        Assert.Equal(["c"], outcome.Dropouts);
        // c was not waited for, which is not silence: it is recorded as declined, so the registry does not count a missed round.
        var notWaited = Assert.Single(outcome.Declined!);
        Assert.Equal("c", notWaited.ClientId);
        Assert.Equal("not waited for: the round closed with its 2 updates first", notWaited.Reason);
        // The same FedAvg of a and b as without c in the round: global + (1 a + 3 b) / 4.
        Assert.Equal([11f, 2f, 2.5f, 2f, 3f], result);
    }

    [Fact]
    public void A_folded_late_update_weighs_its_examples_times_the_staleness_factor_and_does_not_make_the_quorum()
    {
        var started = Started(1.0, "a", "b");
        var round = new RoundAggregation(started, Parameters, new FedAvg());
        Deliver(round, "a", DeltaA, 1);
        var late = UpdateSliceCodec.Slice(TaskId, RoundNumber - 1, "z", DeltaB, 4, SliceSize).ToList();
        var manifest = new UpdateSubmitted(TaskId, RoundNumber - 1, "z", 4, late.Count, Parameters, UpdateDigest.Of(late), null, new LocalMetrics(0.5, 1.5, 12));

        Assert.Null(round.FoldLate(manifest, [.. late.Select(s => (s, (Infrastructure.UpdateStream.StreamPosition?)null))], RoundNumber - 1));
        Assert.False(round.IsComplete); // b has neither sent nor declined; the late update does not stand in for it
        Assert.Null(round.Decline(new UpdateDeclined(TaskId, RoundNumber, "b", "busy")));
        var result = new float[Parameters];
        var failed = round.Close(Global, result);

        Assert.False(failed.Succeeded); // quorum 1.0 of a and b: one fresh update, the late one does not count
        Assert.Equal("quorum not reached: 1 complete updates, 2 needed (1 declined)", failed.FailureReason);
        Assert.Equal([("a", 1, (int?)null), ("z", 3, RoundNumber - 1)], failed.Contributors.Select(c => (c.ClientId, c.ExampleCount, c.LateFrom)));
    }

    [Fact]
    public void A_late_update_is_folded_into_the_aggregate_with_its_whole_staleness_weight()
    {
        var round = NewRound("a");
        Deliver(round, "a", DeltaA, 1);
        var late = UpdateSliceCodec.Slice(TaskId, RoundNumber - 1, "z", DeltaB, 4, SliceSize).ToList();
        var manifest = new UpdateSubmitted(TaskId, RoundNumber - 1, "z", 4, late.Count, Parameters, UpdateDigest.Of(late), null, new LocalMetrics(0.5, 1.5, 12));
        Assert.Null(round.FoldLate(manifest, [.. late.Select(s => (s, (Infrastructure.UpdateStream.StreamPosition?)null))], RoundNumber - 1));

        var result = new float[Parameters];
        Assert.True(round.Close(Global, result).Succeeded);

        // 4 examples x 1/sqrt(2) = 2.83 -> weight 3: global + (1 a + 3 b) / 4.
        Assert.Equal([11f, 2f, 2.5f, 2f, 3f], result);
    }

    [Fact]
    public void A_late_update_from_a_participant_or_older_than_one_round_is_refused_with_the_reason_unless_the_participant_declined()
    {
        var round = NewRound("a", "b");
        List<(UpdateSlice, Infrastructure.UpdateStream.StreamPosition?)> Of(string client, int from) =>
            [.. UpdateSliceCodec.Slice(TaskId, from, client, DeltaB, 4, SliceSize).Select(s => (s, (Infrastructure.UpdateStream.StreamPosition?)null))];
        UpdateSubmitted ManifestOf(string client, int from) => new(TaskId, from, client, 4, 3, Parameters,
            UpdateDigest.Of(UpdateSliceCodec.Slice(TaskId, from, client, DeltaB, 4, SliceSize).ToList()), null, new LocalMetrics(0.5, 1, 1));

        Assert.Equal("the client is a participant of this round: its fresh update supersedes the late one",
            round.FoldLate(ManifestOf("a", RoundNumber - 1), Of("a", RoundNumber - 1), RoundNumber - 1));
        Assert.Equal("it is 2 rounds old; only the previous round's updates are folded",
            round.FoldLate(ManifestOf("z", RoundNumber - 2), Of("z", RoundNumber - 2), RoundNumber - 2));

        // b declined this round (still busy with the last one): its late update comes instead of a fresh one.
        Assert.Null(round.Decline(new UpdateDeclined(TaskId, RoundNumber, "b", "busy")));
        Assert.Null(round.FoldLate(ManifestOf("b", RoundNumber - 1), Of("b", RoundNumber - 1), RoundNumber - 1));
        Deliver(round, "a", DeltaA, 1);
        var outcome = round.Close(Global, new float[Parameters]);
        Assert.Equal([("a", (int?)null), ("b", RoundNumber - 1)], outcome.Contributors.Select(c => (c.ClientId, c.LateFrom)));
        Assert.Empty(outcome.Dropouts);
    }

    [Fact]
    public void The_model_is_cut_into_the_expected_number_of_slices()
    {
        var round = NewRound("a");

        Assert.Equal(3, round.SliceCount);
        Assert.Equal(Parameters, round.ParameterCount);
        Assert.Equal(3, Slices("a", DeltaA, 1).Count);
    }

    [Fact]
    public void Out_of_order_interleaved_slices_with_duplicates_give_the_example_weighted_FedAvg()
    {
        var round = NewRound("a", "b");
        var a = Slices("a", DeltaA, 1);
        var b = Slices("b", DeltaB, 3);

        Assert.Equal(SliceOutcome.Folded, round.Fold(a[2]));
        Assert.Equal(SliceOutcome.Folded, round.Fold(b[0]));
        Assert.Equal(SliceOutcome.Folded, round.Fold(a[0]));
        Assert.Equal(SliceOutcome.Folded, round.Fold(b[2]));
        Assert.Equal(SliceOutcome.Duplicate, round.Fold(a[0]));
        Assert.Equal(SliceOutcome.Folded, round.Fold(b[1]));
        round.AcceptManifest(Manifest("b", b, 3, loss: 0.25));
        Assert.False(round.IsComplete);
        Assert.Equal(SliceOutcome.Folded, round.Fold(a[1]));
        Assert.Equal(SliceOutcome.Duplicate, round.Fold(b[1]));
        Assert.False(round.IsComplete);
        round.AcceptManifest(Manifest("a", a, 1, loss: 0.75));
        Assert.True(round.IsComplete);
        Assert.Equal(2, round.DuplicateSlices);

        var result = new float[Parameters];
        var outcome = round.Close(Global, result);

        // global + (1 * a + 3 * b) / 4, by hand:
        // (4 + 0) / 4 = 1, (0 + 12) / 4 = 3, (-4 + 12) / 4 = 2, (8 + 0) / 4 = 2, (1 + 3) / 4 = 1
        Assert.Equal([11f, 2f, 2.5f, 2f, 3f], result);
        Assert.True(outcome.Succeeded);
        Assert.Null(outcome.FailureReason);
        Assert.Empty(outcome.Rejected);
        Assert.Empty(outcome.Dropouts);
        Assert.Equal(["a", "b"], outcome.Contributors.Select(c => c.ClientId));
        Assert.Equal([1, 3], outcome.Contributors.Select(c => c.ExampleCount));
        Assert.Equal(Math.Sqrt(16 + 0 + 16 + 64 + 1), outcome.Contributors[0].UpdateNorm, 6);
        Assert.Equal(Math.Sqrt(0 + 16 + 16 + 0 + 1), outcome.Contributors[1].UpdateNorm, 6);
        Assert.Equal(0.75, outcome.Contributors[0].TrainLoss);
        Assert.Equal(0.25, outcome.Contributors[1].TrainLoss);
    }

    [Fact]
    public void Three_clients_with_fractional_values_match_a_double_precision_FedAvg()
    {
        var rng = new Random(11);
        string[] ids = ["c1", "c2", "c3"];
        int[] examples = [17, 83, 250];
        var deltas = ids.Select(_ => Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var global = Enumerable.Range(0, Parameters).Select(i => (float)(i * 0.3 - 0.7)).ToArray();
        var round = NewRound(ids);
        var slices = ids.Select((id, k) => Slices(id, deltas[k], examples[k])).ToArray();
        // Slice-major, reverse client order: the opposite of how a client produces them.
        for (var s = round.SliceCount - 1; s >= 0; s--)
            for (var k = ids.Length - 1; k >= 0; k--)
                Assert.Equal(SliceOutcome.Folded, round.Fold(slices[k][s]));
        for (var k = 0; k < ids.Length; k++) round.AcceptManifest(Manifest(ids[k], slices[k], examples[k]));

        var result = new float[Parameters];
        var outcome = round.Close(global, result);

        Assert.True(outcome.Succeeded);
        var total = examples.Sum();
        for (var i = 0; i < Parameters; i++)
        {
            var mean = 0.0;
            for (var k = 0; k < ids.Length; k++) mean += (double)examples[k] * deltas[k][i] / total;
            Assert.Equal(global[i] + mean, result[i], 5);
        }
    }

    [Fact]
    public void A_duplicate_slice_is_ignored_and_counted()
    {
        var round = NewRound("a");
        var a = Slices("a", DeltaA, 2);
        var tampered = a[0] with { Payload = Slices("a", [100f, 100f, 100f, 100f, 100f], 2)[0].Payload };

        round.Fold(a[0]);
        Assert.Equal(SliceOutcome.Duplicate, round.Fold(a[0]));
        Assert.Equal(SliceOutcome.Duplicate, round.Fold(tampered)); // a redelivery never overwrites what was folded
        round.Fold(a[1]);
        round.Fold(a[2]);
        round.AcceptManifest(Manifest("a", a, 2));

        var result = new float[Parameters];
        var outcome = round.Close(new float[Parameters], result);

        Assert.Equal(2, round.DuplicateSlices);
        Assert.True(outcome.Succeeded);
        Assert.Equal(DeltaA, result);
    }

    [Fact]
    public void The_round_is_complete_only_after_every_participant_delivered_all_slices_and_its_manifest()
    {
        var round = NewRound("a", "b");
        var a = Slices("a", DeltaA, 1);
        var b = Slices("b", DeltaB, 3);

        Assert.False(round.IsComplete);
        round.AcceptManifest(Manifest("a", a, 1)); // manifest first
        round.Fold(a[0]);
        round.Fold(a[1]);
        Assert.False(round.IsComplete);
        round.Fold(a[2]);
        Assert.False(round.IsComplete); // b has sent nothing
        foreach (var slice in b) round.Fold(slice);
        Assert.False(round.IsComplete); // b's manifest is missing
        round.AcceptManifest(Manifest("b", b, 3));
        Assert.True(round.IsComplete);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_slice_with_NaN_rejects_its_client_and_the_round_goes_on_with_the_others(bool grouped)
    {
        var round = grouped ? NewRound("a", "b", "c") : NewUngroupedRound("a", "b", "c");
        var c = Slices("c", [1f, float.NaN, 2f, 3f, 4f], 5);

        // Folded on arrival, the NaN is seen at once and the rest of c is refused; grouped, every slice is accepted to wait for
        // its group and read once when the group is folded, which finds the NaN then (here at the close).
        var expected = grouped ? SliceOutcome.Folded : SliceOutcome.Rejected;
        Assert.Equal(expected, round.Fold(c[0]));
        Assert.Equal(expected, round.Fold(c[1]));
        Assert.Equal(expected, round.Fold(c[2]));
        round.AcceptManifest(Manifest("c", c, 5));
        Deliver(round, "a", DeltaA, 1);
        Deliver(round, "b", DeltaB, 3);
        Assert.True(round.IsComplete);

        var result = new float[Parameters];
        var outcome = round.Close(Global, result);

        Assert.True(outcome.Succeeded);
        Assert.Equal([11f, 2f, 2.5f, 2f, 3f], result); // c left no trace
        Assert.Equal(["a", "b"], outcome.Contributors.Select(x => x.ClientId));
        var rejected = Assert.Single(outcome.Rejected);
        Assert.Equal("c", rejected.ClientId);
        Assert.Contains("NaN", rejected.Reason);
        Assert.Contains("slice 0", rejected.Reason);
        Assert.DoesNotContain("already folded", rejected.Reason);
        Assert.Empty(outcome.Dropouts);
    }

    [Fact]
    public void A_slice_with_an_infinite_value_is_rejected()
    {
        var round = NewUngroupedRound("a");
        var a = Slices("a", [1f, 2f, float.PositiveInfinity, 3f, 4f], 5);

        Assert.Equal(SliceOutcome.Folded, round.Fold(a[0]));
        Assert.Equal(SliceOutcome.Rejected, round.Fold(a[1]));
        var outcome = round.Close(Global, new float[Parameters]);

        var rejected = Assert.Single(outcome.Rejected);
        Assert.Contains("infinite", rejected.Reason);
        Assert.Contains("1 of its slices stay folded", rejected.Reason);
    }

    [Fact]
    public void A_slice_from_a_client_that_was_not_selected_is_recorded_once_as_not_selected()
    {
        var round = NewRound("a");
        var mallory = Slices("mallory", DeltaB, 1000);

        Assert.Equal(SliceOutcome.Rejected, round.Fold(mallory[0]));
        Assert.Equal(SliceOutcome.Rejected, round.Fold(mallory[1]));
        round.AcceptManifest(Manifest("mallory", mallory, 1000));
        Deliver(round, "a", DeltaA, 1);
        Assert.True(round.IsComplete);

        var result = new float[Parameters];
        var outcome = round.Close(Global, result);

        Assert.True(outcome.Succeeded);
        Assert.Equal([14f, -1f, -3.5f, 8f, 3f], result); // global + a only
        var rejected = Assert.Single(outcome.Rejected);
        Assert.Equal("mallory", rejected.ClientId);
        Assert.Contains("not selected", rejected.Reason);
    }

    [Theory]
    [InlineData("count")]
    [InlineData("offset")]
    [InlineData("slices")]
    [InlineData("type")]
    [InlineData("weight")]
    public void A_slice_with_the_wrong_shape_rejects_its_client(string defect)
    {
        var round = NewRound("a", "b");
        var a = Slices("a", DeltaA, 1);
        var (bad, expected) = defect switch
        {
            "count" => (a[0] with { Payload = new byte[3 * 4] }, "slice 0 holds 3 values, expected 2"),
            "offset" => (a[1] with { ElementOffset = 3 }, "slice 1 starts at 3, expected 2"),
            "slices" => (a[0] with { SliceCount = 4 }, "slice 0 announces 4 slices, the model needs 3"),
            "type" => (a[0] with { ElementType = ElementType.UInt32 }, "slice 0 holds UInt32, expected Float32"),
            "weight" => (a[1] with { Weight = 2 }, "slice 1 is weighted 2, earlier slices 1"),
            _ => throw new ArgumentOutOfRangeException(nameof(defect)),
        };

        if (defect == "weight") Assert.Equal(SliceOutcome.Folded, round.Fold(a[0]));
        Assert.Equal(SliceOutcome.Rejected, round.Fold(bad));
        Assert.Equal(SliceOutcome.Rejected, round.Fold(a[2]));
        Deliver(round, "b", DeltaB, 3);
        Assert.True(round.IsComplete);

        var result = new float[Parameters];
        var outcome = round.Close(Global, result);

        Assert.True(outcome.Succeeded);
        Assert.Equal(["b"], outcome.Contributors.Select(c => c.ClientId));
        var rejected = Assert.Single(outcome.Rejected);
        Assert.Equal("a", rejected.ClientId);
        Assert.Contains(expected, rejected.Reason);
        if (defect != "weight")
            Assert.Equal([10f, 3f, 4.5f, 0f, 3f], result); // global + b only
    }

    [Fact]
    public void A_manifest_whose_digest_does_not_match_the_slices_rejects_the_client()
    {
        var round = NewUngroupedRound("a", "b");
        var a = Slices("a", DeltaA, 1);
        foreach (var slice in a) round.Fold(slice);
        var forged = Manifest("a", Slices("a", DeltaB, 1), 1);
        round.AcceptManifest(forged);
        Deliver(round, "b", DeltaB, 3);

        var outcome = round.Close(Global, new float[Parameters]);

        Assert.Equal(["b"], outcome.Contributors.Select(c => c.ClientId));
        var rejected = Assert.Single(outcome.Rejected);
        Assert.Equal("a", rejected.ClientId);
        Assert.Contains("manifest digest does not match", rejected.Reason);
        Assert.Contains("3 of its slices stay folded", rejected.Reason);
    }

    [Fact]
    public void A_manifest_with_a_wrong_digest_that_arrives_before_the_slices_is_caught_at_close()
    {
        var round = NewRound("a", "b");
        var a = Slices("a", DeltaA, 1);
        round.AcceptManifest(Manifest("a", Slices("a", DeltaB, 1), 1));
        foreach (var slice in a) Assert.Equal(SliceOutcome.Folded, round.Fold(slice));
        Deliver(round, "b", DeltaB, 3);

        var outcome = round.Close(Global, new float[Parameters]);

        Assert.Equal(["b"], outcome.Contributors.Select(c => c.ClientId));
        var rejected = Assert.Single(outcome.Rejected);
        Assert.Equal("a", rejected.ClientId);
        Assert.Contains("digest", rejected.Reason);
    }

    [Fact]
    public void A_manifest_whose_example_count_differs_from_the_slice_weight_rejects_the_client()
    {
        var round = NewRound("a", "b");
        var a = Slices("a", DeltaA, 3);
        foreach (var slice in a) round.Fold(slice);
        round.AcceptManifest(Manifest("a", a, 4));
        Deliver(round, "b", DeltaB, 3);

        var outcome = round.Close(Global, new float[Parameters]);

        Assert.Equal(["b"], outcome.Contributors.Select(c => c.ClientId));
        var rejected = Assert.Single(outcome.Rejected);
        Assert.Equal("a", rejected.ClientId);
        Assert.Contains("slices are weighted 3 but the manifest announces 4 examples", rejected.Reason);
    }

    [Fact]
    public void A_manifest_that_arrives_before_the_slices_with_a_different_example_count_rejects_the_client()
    {
        var round = NewRound("a", "b");
        var a = Slices("a", DeltaA, 3);
        round.AcceptManifest(Manifest("a", a, 4));
        foreach (var slice in a) round.Fold(slice);
        Deliver(round, "b", DeltaB, 3);

        var outcome = round.Close(Global, new float[Parameters]);

        Assert.Equal(["b"], outcome.Contributors.Select(c => c.ClientId));
        var rejected = Assert.Single(outcome.Rejected);
        Assert.Equal("a", rejected.ClientId);
        Assert.Contains("4", rejected.Reason);
    }

    [Theory]
    [InlineData(4, Parameters, "manifest announces 4 slices, the model needs 3")]
    [InlineData(3, 6, "manifest announces 6 parameters, the model has 5")]
    public void A_manifest_with_the_wrong_shape_rejects_the_client(int sliceCount, int elementCount, string expected)
    {
        var round = NewRound("a");
        var a = Slices("a", DeltaA, 1);
        round.AcceptManifest(Manifest("a", a, 1) with { SliceCount = sliceCount, ElementCount = elementCount });
        Assert.Equal(SliceOutcome.Rejected, round.Fold(a[0]));

        var outcome = round.Close(Global, new float[Parameters]);

        Assert.False(outcome.Succeeded);
        Assert.Contains(expected, Assert.Single(outcome.Rejected).Reason);
    }

    [Fact]
    public void Without_quorum_the_round_fails_lists_the_dropouts_and_leaves_the_result_untouched()
    {
        var round = NewRound(0.5, "a", "b", "c", "d");
        Deliver(round, "a", DeltaA, 1);
        var b = Slices("b", DeltaB, 3);
        round.Fold(b[0]); // b sends 1 of 3 slices
        round.Fold(b[1]);
        var c = Slices("c", DeltaB, 3);
        foreach (var slice in c) round.Fold(slice); // c never sends its manifest
        Assert.False(round.IsComplete);

        var result = Enumerable.Repeat(-7f, Parameters).ToArray();
        var outcome = round.Close(Global, result);

        Assert.False(outcome.Succeeded);
        Assert.NotNull(outcome.FailureReason);
        Assert.Contains("quorum", outcome.FailureReason);
        Assert.Contains("1 complete updates, 2 needed", outcome.FailureReason);
        Assert.Equal(["a"], outcome.Contributors.Select(x => x.ClientId));
        Assert.Equal(["b", "c", "d"], outcome.Dropouts);
        Assert.Empty(outcome.Rejected);
        Assert.All(result, v => Assert.Equal(-7f, v));
    }

    [Fact]
    public void Exactly_the_quorum_share_of_participants_is_enough()
    {
        var round = NewRound(0.5, "a", "b", "c", "d");
        Deliver(round, "a", DeltaA, 1);
        Deliver(round, "b", DeltaB, 3);

        var result = new float[Parameters];
        var outcome = round.Close(Global, result);

        Assert.True(outcome.Succeeded);
        Assert.Equal([11f, 2f, 2.5f, 2f, 3f], result);
        Assert.Equal(["c", "d"], outcome.Dropouts);
    }

    [Fact]
    public void A_round_in_which_nobody_delivered_fails()
    {
        var round = NewRound(0.1, "a", "b");

        var outcome = round.Close(Global, new float[Parameters]);

        Assert.False(outcome.Succeeded);
        Assert.Contains("0 complete updates, 1 needed", outcome.FailureReason);
        Assert.Equal(["a", "b"], outcome.Dropouts);
    }

    [Fact]
    public void Closing_twice_throws_and_slices_after_close_are_late()
    {
        var round = NewRound("a", "b");
        var a = Slices("a", DeltaA, 1);
        round.Fold(a[0]);
        round.Close(Global, new float[Parameters]);

        Assert.True(round.IsClosed);
        var error = Assert.Throws<InvalidOperationException>(() => round.Close(Global, new float[Parameters]));
        Assert.Contains("already closed", error.Message);
        Assert.Equal(SliceOutcome.Late, round.Fold(a[1]));
        Assert.Equal(SliceOutcome.Late, round.Fold(a[0]));
        Assert.Equal(SliceOutcome.Late, round.Fold(Slices("mallory", DeltaB, 1)[0]));
        round.AcceptManifest(Manifest("a", a, 1)); // ignored, no exception
        Assert.Equal(0, round.DuplicateSlices);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void Grouped_folds_give_the_model_of_folding_every_slice_on_arrival_bit_for_bit(int groupSize)
    {
        var rng = new Random(5);
        var ids = Enumerable.Range(0, 11).Select(k => $"c{k:00}").ToArray();
        var deltas = ids.Select(_ => Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var slices = ids.SelectMany((id, k) => Slices(id, deltas[k], 1 + k * 13)).OrderBy(_ => rng.Next()).ToList();
        var reference = new RoundAggregation(Started(1, ids), Parameters, new FedAvg(), groupSize: 1);
        var grouped = new RoundAggregation(Started(1, ids), Parameters, new FedAvg(), groupSize: groupSize);
        foreach (var slice in slices)
        {
            Assert.Equal(SliceOutcome.Folded, reference.Fold(slice));
            Assert.Equal(SliceOutcome.Folded, grouped.Fold(slice));
        }
        for (var k = 0; k < ids.Length; k++)
        {
            var own = slices.Where(x => x.ClientId == ids[k]).OrderBy(x => x.SliceIndex).ToList();
            reference.AcceptManifest(Manifest(ids[k], own, 1 + k * 13));
            grouped.AcceptManifest(Manifest(ids[k], own, 1 + k * 13));
        }

        float[] expected = new float[Parameters], actual = new float[Parameters];
        Assert.True(reference.Close(Global, expected).Succeeded);
        var outcome = grouped.Close(Global, actual);

        Assert.True(outcome.Succeeded, outcome.FailureReason);
        Assert.Equal(11, outcome.Contributors.Count);
        Assert.Equal(expected, actual);
        Assert.Equal(groupSize == 1 ? 0 : 1, Math.Sign(grouped.PeakWaitingBytes));
    }

    [Fact]
    public void A_rejected_clients_slices_still_waiting_for_their_group_are_never_folded()
    {
        var round = NewRound("a", "b");
        var a = Slices("a", [1f, 2f, 2f, 3f, 4f], 5);

        Assert.Equal(SliceOutcome.Folded, round.Fold(a[0])); // accepted, waiting for its group
        Assert.Equal(SliceOutcome.Rejected, round.Fold(a[1] with { Weight = 4 })); // refused on arrival: weighted unlike a[0]
        Assert.True(round.RetractionsWaiting);
        Assert.Empty(round.TakeRetractions()); // nothing of it was folded, so nothing needs reading back
        Assert.False(round.RetractionsWaiting);
        Deliver(round, "b", DeltaB, 3);
        var result = new float[Parameters];
        var outcome = round.Close(Global, result);

        Assert.True(outcome.Succeeded, outcome.FailureReason);
        var rejected = Assert.Single(outcome.Rejected);
        Assert.Contains("its 1 folded slices were taken back out", rejected.Reason);
        Assert.Equal(Global.Zip(DeltaB, (g, d) => g + d), result);
    }
}
