using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Planning;
using FlMicroservices.Registry;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>SCAFFOLD through the aggregation service's round (duplicates, interleaving) and the registry's validation.</summary>
public class ScaffoldRoundAggregationTests
{
    private const string TaskId = "task-s";
    private const int RoundNumber = 2;
    private const int SliceSize = 4; // [x ; c] of 6 values in slices of 4: [x0 x1 x2 c0] straddles, then [c1 c2]

    private static readonly float[] Global = [1f, 2f, 3f, 0.5f, -1f, 0f];
    private static readonly float[] DeltaA = [2f, 4f, -2f, 1f, 2f, 4f];
    private static readonly float[] DeltaB = [0f, 2f, 6f, 3f, 0f, -2f];

    private static RoundStarted Started(Dictionary<string, string> parameters, RoundSettings? settings) =>
        new(TaskId, RoundNumber, 1, ["a", "b"], new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, SliceSize, "logreg", "scaffold", parameters, 1.0, 1, Settings: settings);

    private static List<UpdateSlice> Slices(string client, float[] delta, double weight) =>
        UpdateSliceCodec.Slice(TaskId, RoundNumber, client, delta, weight, SliceSize).ToList();

    private static UpdateSubmitted Manifest(string client, IReadOnlyList<UpdateSlice> slices, int examples) =>
        new(TaskId, RoundNumber, client, examples, slices.Count, Global.Length, UpdateDigest.Of(slices), null, new LocalMetrics(0.5, 1, 3));

    [Fact]
    public void Interleaved_slices_with_duplicates_give_the_hand_computed_step()
    {
        // What the selector sends: the task's server-lr, and a plan with N = 4 healthy clients.
        var started = Started(new Dictionary<string, string> { ["server-lr"] = "0.5" }, new RoundSettings(TotalClients: 4, ControlVariates: true));
        var round = new RoundAggregation(started, Global.Length, RoundPlan.StrategyOf(started));
        var a = Slices("a", DeltaA, 1);
        var b = Slices("b", DeltaB, 3);

        Assert.Equal(SliceOutcome.Folded, round.Fold(b[1]));
        Assert.Equal(SliceOutcome.Folded, round.Fold(a[0]));
        Assert.Equal(SliceOutcome.Duplicate, round.Fold(b[1]));
        Assert.Equal(SliceOutcome.Folded, round.Fold(a[1]));
        Assert.Equal(SliceOutcome.Duplicate, round.Fold(a[0]));
        Assert.Equal(SliceOutcome.Folded, round.Fold(b[0]));
        round.AcceptManifest(Manifest("a", a, 1));
        round.AcceptManifest(Manifest("b", b, 3));
        Assert.True(round.IsComplete);
        Assert.True(round.CanCheckpoint);

        var result = new float[Global.Length];
        var outcome = round.Close(Global, result);

        // x' = x + 0.5 · the uniform mean [1, 3, 2]; c' = c + (2 / 4) · [2, 1, 1].
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        Assert.Equal([1.5f, 3.5f, 4f, 1.5f, -0.5f, 0.5f], result);
        Assert.Equal(2, round.DuplicateSlices);
    }

    [Fact]
    public void A_round_without_the_selectors_N_fails_with_a_reason_naming_the_setting()
    {
        var started = Started(new Dictionary<string, string>(), new RoundSettings(ControlVariates: true));
        var round = new RoundAggregation(started, Global.Length, RoundPlan.StrategyOf(started));
        foreach (var (client, delta, weight) in new[] { ("a", DeltaA, 1), ("b", DeltaB, 3) })
        {
            var slices = Slices(client, delta, weight);
            foreach (var slice in slices) round.Fold(slice);
            round.AcceptManifest(Manifest(client, slices, weight));
        }

        var outcome = round.Close(Global, new float[Global.Length]);

        Assert.False(outcome.Succeeded);
        Assert.Contains("RoundSettings.TotalClients", outcome.FailureReason);
    }

    private static readonly TaskSpec Spec = new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = 5,
        Strategy = "scaffold",
        Training = new TrainingConfig(1, 10, 0.1),
    };

    [Fact]
    public void The_registry_accepts_scaffold_and_refuses_what_does_not_fit_it()
    {
        Assert.Empty(TaskSpecValidator.Validate("s-1", Spec));
        Assert.Empty(TaskSpecValidator.Validate("s-1", Spec with { StrategyParameters = new Dictionary<string, string> { ["server-lr"] = "0.5" } }));

        var own = Assert.Single(TaskSpecValidator.Validate("s-1", Spec with { StrategyParameters = new Dictionary<string, string> { ["scaffold-total-clients"] = "9" } }));
        Assert.Contains("'scaffold-total-clients'", own);
        var prox = Assert.Single(TaskSpecValidator.Validate("s-1", Spec with { Training = new TrainingConfig(1, 10, 0.1, ProximalMu: 0.01) }));
        Assert.Contains("ProximalMu", prox);
        var lr = Assert.Single(TaskSpecValidator.Validate("s-1", Spec with { StrategyParameters = new Dictionary<string, string> { ["server-lr"] = "-1" } }));
        Assert.Contains("'server-lr'", lr);
        var central = TaskSpecValidator.Validate("s-1", Spec with { Privacy = new PrivacyConfig(true, 1.0, 1.0, 10, 1e-5) });
        Assert.Contains(central, p => p.Contains("central differential privacy"));
        Assert.Empty(TaskSpecValidator.Validate("s-1", Spec with { Privacy = new PrivacyConfig(true, 1.0, 1.0, 10, 1e-5) { Mechanism = PrivacyMechanism.Local } }));
    }
}
