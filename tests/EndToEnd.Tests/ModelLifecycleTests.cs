using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Data;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.ModelRegistry;
using FlMicroservices.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>
/// The model registry's rollback policy on real evaluations: a logistic regression over one feature whose validation
/// accuracy each candidate sets through its bias (samples x = 1..10, all of class 1: predicting class 1 for x &gt; t scores
/// (10 - floor t) / 10), so each round's accuracy is known before it is measured.
/// </summary>
public sealed class ModelLifecycleTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fl-lifecycle-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly InMemoryDataset Validation = new(
        Enumerable.Range(1, 10).Select(i => (float)i).ToArray(), Enumerable.Repeat(1, 10).ToArray(), [1], 2);

    // logreg over [1] with 2 classes: weight [2 x 1] then bias [2]; class 1 wins where x - t > 0.
    private static float[] ScoringAbove(double t) => [0f, 1f, 0f, (float)-t];

    [Fact]
    public async Task A_rollback_continues_from_the_best_version_and_rollbacks_in_a_row_stop_the_task()
    {
        var store = new FileModelStore(_root);
        await using var provider = new ServiceCollection()
            .AddSingleton<IModelStore>(store)
            .AddSingleton(TimeProvider.System)
            .AddLogging()
            .AddSingleton<IValidationSetProvider>(new FixedValidationSets(new Dictionary<string, InMemoryDataset>(), Validation))
            .AddModelRegistryService()
            .AddMassTransitTestHarness(x => x.SetLoadedMachineTimeouts().AddModelRegistryConsumers())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var spec = new TaskSpec
        {
            ModelName = "logreg", SampleShape = [1], ClassCount = 2, Rounds = 10, Training = new TrainingConfig(1, 10, 0.1),
            MaxRollbacksInARow = 2,
        };
        await harness.Bus.Publish(new TaskCreated("task-l", spec, DateTimeOffset.UtcNow));
        await Eventually.TrueAsync(() => harness.Published.Select<ModelVersionPublished>().Any(p => p.Context.Message.Version == 0),
            TimeSpan.FromSeconds(30), "the initial version");

        // Accuracy 1.0 (new best), 0.9 (accepted: within 0.2 of the best), 0.7 (more than 0.2 below: back to version 1,
        // not to version 2), 0.5 (a second rollback in a row: the task stops on version 1).
        double[] thresholds = [0.5, 1.5, 3.5, 5.5];
        var completed = new List<RoundCompleted>();
        for (var round = 1; round <= thresholds.Length; round++)
        {
            var reference = await store.SaveCandidateAsync("task-l", round, ScoringAbove(thresholds[round - 1]), CancellationToken.None);
            var parent = completed.LastOrDefault()?.ModelVersion ?? 0;
            await harness.Bus.Publish(new RoundAggregated("task-l", round, parent, true, reference, [new Contribution("c1", 10, 0.1, 0.5)], [], [], null, 0.1));
            var r = round;
            completed.Add(await Eventually.ValueAsync(
                () => harness.Published.Select<RoundCompleted>().Select(p => p.Context.Message).FirstOrDefault(m => m.Round == r),
                TimeSpan.FromSeconds(30), $"RoundCompleted of round {round}"));
        }

        Assert.Equal([1.0, 0.9, 1.0, 1.0], completed.Select(c => c.Accuracy!.Value).Select(a => Math.Round(a, 6)));
        Assert.Equal([1, 2, 1, 1], completed.Select(c => c.ModelVersion));
        Assert.Equal([false, false, true, true], completed.Select(c => c.RolledBack));
        Assert.All(completed, c => Assert.Equal(1, c.BestModelVersion));
        Assert.Contains("version 3 rolled back to version 1", completed[2].FailureReason);
        Assert.Null(completed[2].StopReason);
        Assert.Contains("2 rollbacks in a row, so the task stops on version 1", completed[3].StopReason);
        // Every candidate is kept (promotable later); the store's current pointer is the best version.
        Assert.Equal([0, 1, 2, 3, 4], (await store.ListVersionsAsync("task-l", CancellationToken.None)).Select(v => v.Version));
        Assert.Equal(1, await store.GetCurrentVersionAsync("task-l", CancellationToken.None));
    }

    [Fact]
    public async Task An_exported_version_has_its_weights_and_a_manifest_with_its_lineage()
    {
        var store = new FileModelStore(_root);
        var spec = new TaskSpec { ModelName = "logreg", SampleShape = [1], ClassCount = 2, Rounds = 2, Training = new TrainingConfig(1, 10, 0.1) };
        var now = DateTimeOffset.UtcNow;
        await store.SaveVersionAsync(new ModelVersionInfo("task-x", 0, 0, null, 4, WeightsFile.Digest(ScoringAbove(9.5)), 0.1, null, false, now), ScoringAbove(9.5), CancellationToken.None);
        await store.SaveVersionAsync(new ModelVersionInfo("task-x", 1, 1, 0, 4, WeightsFile.Digest(ScoringAbove(4.5)), 0.6, null, false, now), ScoringAbove(4.5), CancellationToken.None);
        await store.SaveVersionAsync(new ModelVersionInfo("task-x", 2, 2, 1, 4, WeightsFile.Digest(ScoringAbove(0.5)), 1.0, 0.3, false, now), ScoringAbove(0.5), CancellationToken.None);
        var folder = Path.Combine(_root, "export");

        var manifest = await ModelExport.WriteAsync(store, "task-x", spec, 2, folder, CancellationToken.None);

        Assert.Equal([1, 0], manifest.Lineage);
        Assert.Equal(1.0, manifest.Accuracy);
        Assert.Equal(ScoringAbove(0.5), WeightsFile.Decode(await File.ReadAllBytesAsync(Path.Combine(folder, "weights.bin")), "weights.bin"));
        var json = await File.ReadAllTextAsync(Path.Combine(folder, "manifest.json"));
        Assert.Contains("\"model\": \"logreg\"", json);
        Assert.Contains($"\"digest\": \"{WeightsFile.Digest(ScoringAbove(0.5))}\"", json);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => ModelExport.WriteAsync(store, "task-x", spec, 7, folder, CancellationToken.None));
    }
}
