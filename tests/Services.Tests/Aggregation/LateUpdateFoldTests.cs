using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Planning;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Testing;
using FlMicroservices.Testing.Aggregation;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>A late update of round 1 is folded into round 2 with the staleness weight when the task folds, and dropped when it drops.</summary>
public sealed class LateUpdateFoldTests : IAsyncLifetime
{
    private const int Parameters = 4;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fl-late-" + Guid.NewGuid().ToString("N"));
    private HarnessHost _bus = null!;

    public async Task InitializeAsync() => _bus = await HarnessHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _bus.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static TaskSpec Spec(string lateUpdates) => new()
    {
        ModelName = "logreg",
        SampleShape = [3],
        ClassCount = 2,
        Rounds = 3,
        Training = new TrainingConfig(1, 10, 0.1),
        Signing = SigningAlgorithms.None, // the test's manifests are unsigned
        LateUpdates = lateUpdates,
    };

    private static RoundStarted Round(TaskSpec spec, int round, params string[] participants) => new("t", round, 0, participants, DateTimeOffset.UtcNow.AddHours(1),
        spec.Training, PrivacyConfig.None, 2, spec.ModelName, spec.Strategy, [], 0.5, 1, Settings: RoundPlanner.Plan(spec, new RoundContext(round, 2, 2, 2.0)));

    private static async Task SendAsync(AggregationInstance aggregation, int round, string client, float[] delta, int examples)
    {
        var slices = UpdateSliceCodec.Slice("t", round, client, delta, examples, 2).ToList();
        foreach (var slice in slices) await aggregation.Router.OnSliceAsync(slice, CancellationToken.None);
        await aggregation.Router.OnManifestAsync(new UpdateSubmitted("t", round, client, examples, slices.Count, Parameters, UpdateDigest.Of(slices), null,
            new LocalMetrics(0.4, 1, 1, 150)), CancellationToken.None);
    }

    // Round 1: a sends, b declines (it is still training) and the round closes without it.
    private async Task<(AggregationInstance Aggregation, FileModelStore Models)> CloseRound1WithoutBAsync(TaskSpec spec)
    {
        var models = new FileModelStore(Path.Combine(_root, "models"));
        await models.SaveVersionAsync(new ModelVersionInfo("t", 0, 0, null, Parameters, "d0", null, null, false, DateTimeOffset.UtcNow), new float[Parameters],
            CancellationToken.None);
        var aggregation = await AggregationInstance.StartAsync(_bus.Bus, models);
        await aggregation.Opener.OpenAsync(Round(spec, 1, "a", "b"), CancellationToken.None);
        await SendAsync(aggregation, 1, "a", [1f, 1f, 1f, 1f], 2);
        await aggregation.Router.OnDeclinedAsync(new UpdateDeclined("t", 1, "b", "late: the round closed with its 1 updates before it would have finished", 150),
            CancellationToken.None);
        var first = await _bus.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(60));
        Assert.Equal((1, true), (first.Round, first.Succeeded));
        Assert.Equal(["a"], first.Contributors.Select(c => c.ClientId));
        return (aggregation, models);
    }

    [Theory]
    [InlineData(LateUpdatePolicy.Fold, false)]
    [InlineData(LateUpdatePolicy.Fold, true)]
    [InlineData(LateUpdatePolicy.Drop, false)]
    public async Task A_late_update_of_round_1_lands_in_round_2_weighted_by_its_staleness_only_when_the_task_folds(string policy, bool beforeRound2Opens)
    {
        var spec = Spec(policy);
        var (aggregation, models) = await CloseRound1WithoutBAsync(spec);
        await using var disposing = aggregation;

        // b's update of round 1 (4 examples) arrives after the close, before round 2 opens or while it is open; a sends round 2's.
        if (beforeRound2Opens) await SendAsync(aggregation, 1, "b", [0f, 4f, 4f, 0f], 4);
        await aggregation.Opener.OpenAsync(Round(spec, 2, "a"), CancellationToken.None);
        if (!beforeRound2Opens) await SendAsync(aggregation, 1, "b", [0f, 4f, 4f, 0f], 4);
        await SendAsync(aggregation, 2, "a", [4f, 0f, -4f, 8f], 1);
        var second = await _bus.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(60));
        Assert.Equal((2, true), (second.Round, second.Succeeded));
        var result = await models.LoadCandidateAsync(second.AggregateRef!, CancellationToken.None);

        if (policy == LateUpdatePolicy.Fold)
        {
            // 4 examples x 1/sqrt(2) = 2.83, folded as 3: the model moves by (1 a + 3 b) / 4.
            Assert.Equal([("a", 1, (int?)null), ("b", 3, 1)], second.Contributors.Select(c => (c.ClientId, c.ExampleCount, c.LateFrom)));
            Assert.Equal([1f, 3f, 2f, 2f], result);
        }
        else
        {
            Assert.Equal(["a"], second.Contributors.Select(c => c.ClientId));
            Assert.Equal([4f, 0f, -4f, 8f], result);
        }
    }

    [Fact]
    public async Task A_late_update_two_rounds_old_or_from_a_client_that_contributed_is_not_folded()
    {
        var spec = Spec(LateUpdatePolicy.Fold);
        var (aggregation, _) = await CloseRound1WithoutBAsync(spec);
        await using var disposing = aggregation;
        await aggregation.Opener.OpenAsync(Round(spec, 2, "a"), CancellationToken.None);
        await SendAsync(aggregation, 2, "a", [4f, 0f, -4f, 8f], 1);
        await _bus.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(60));

        // b's round-1 update now arrives two rounds late, and a (who contributed to round 2) sends round 2's again.
        await aggregation.Opener.OpenAsync(Round(spec, 3, "c"), CancellationToken.None);
        await SendAsync(aggregation, 1, "b", [0f, 4f, 4f, 0f], 4);
        await SendAsync(aggregation, 2, "a", [0f, 4f, 4f, 0f], 4);
        await SendAsync(aggregation, 3, "c", [4f, 0f, -4f, 8f], 1);
        var third = await _bus.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(60));

        Assert.Equal(3, third.Round);
        Assert.Equal(["c"], third.Contributors.Select(c => c.ClientId));
        Assert.Equal(0, aggregation.Late.Bytes); // nothing kept for a round that will never take it
    }
}
