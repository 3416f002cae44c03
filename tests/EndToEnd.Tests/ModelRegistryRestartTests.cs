using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.ModelRegistry;
using FlMicroservices.Testing;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>The model registry keeps each task's versions in its SQLite file: a restarted registry continues the task's lineage.</summary>
public sealed class ModelRegistryRestartTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private static readonly TaskSpec Spec = new() { ModelName = "logreg", SampleShape = [8], ClassCount = 3, Rounds = 3, Training = new TrainingConfig(1, 10, 0.1) };
    private readonly StateFolder _state = new();
    private readonly FileModelStore _models;

    public ModelRegistryRestartTests() => _models = new FileModelStore(Path.Combine(_state.Root, "models"));

    public void Dispose() => _state.Dispose();

    private Task<HarnessHost> StartAsync() =>
        _state.StartAsync(services => services
                .AddSingleton<IModelStore>(_models)
                .AddSingleton(TimeProvider.System)
                .AddModelRegistryService(_state.Configuration()),
            bus => bus.AddModelRegistryConsumers());

    private async Task<RoundAggregated> AggregatedAsync(int round, int baseVersion)
    {
        var weights = await _models.LoadWeightsAsync("task-m", baseVersion, CancellationToken.None);
        var candidate = await _models.SaveCandidateAsync("task-m", round, weights.Select(w => w + 0.01f).ToArray(), CancellationToken.None);
        return new RoundAggregated("task-m", round, baseVersion, true, candidate, [new Contribution("c1", 10, 0.1, 0.5)], [], [], null, 0.1);
    }

    [Fact]
    public async Task A_restarted_model_registry_knows_the_versions_and_continues_the_task()
    {
        RoundAggregated round1;
        await using (var first = await StartAsync())
        {
            await first.Bus.Publish(new TaskCreated("task-m", Spec, DateTimeOffset.UtcNow));
            Assert.Equal(0, (await first.NextPublishedAsync<ModelVersionPublished>(Wait)).Version);
            round1 = await AggregatedAsync(1, 0);
            await first.Bus.Publish(round1);
            Assert.Equal(1, (await first.NextPublishedAsync<RoundCompleted>(Wait)).ModelVersion);
        } // the model registry dies

        await using var host = await StartAsync();
        var tasks = host.Services.GetRequiredService<TaskModels>();
        await tasks.RestoreAsync(CancellationToken.None);
        var entry = tasks.Find("task-m");
        Assert.NotNull(entry);
        Assert.Equal((1, 1), (entry.CurrentVersion, entry.LatestVersion));
        Assert.Equal([1], entry.RoundsDone);
        Assert.Equal(1, entry.RoundVersions[1].Info.Version);

        await host.Bus.Publish(round1); // redelivered after the restart: nothing stored, nothing published
        await host.Bus.Publish(await AggregatedAsync(2, 1));
        var completed = await host.NextPublishedAsync<RoundCompleted>(Wait);
        var version = await host.NextPublishedAsync<ModelVersionPublished>(Wait);

        Assert.Equal((2, 2), (completed.Round, completed.ModelVersion));
        Assert.Equal((2, 2, 1), (version.Version, version.Round, version.ParentVersion));
        await Eventually.TrueAsync(() => host.Harness.Consumed.Select<RoundAggregated>().Count() == 2, Wait, "both deliveries consumed");
        Assert.Equal(1, host.PublishedCount<RoundCompleted>());
        Assert.Equal([0, 1, 2], (await _models.ListVersionsAsync("task-m", CancellationToken.None)).Select(v => v.Version));
    }

    [Fact]
    public async Task A_round_whose_version_went_out_before_the_crash_publishes_only_its_RoundCompleted_after_the_restart()
    {
        RoundAggregated round1;
        await using (var first = await StartAsync())
        {
            var failures = new FailingPublishes(nameof(RoundCompleted), times: int.MaxValue); // the process dies before RoundCompleted is out
            using var observer = first.Bus.ConnectPublishObserver(failures);
            await first.Bus.Publish(new TaskCreated("task-m", Spec, DateTimeOffset.UtcNow));
            await first.NextPublishedAsync<ModelVersionPublished>(Wait);
            round1 = await AggregatedAsync(1, 0);
            await first.Bus.Publish(round1);
            Assert.Equal(1, (await first.NextPublishedAsync<ModelVersionPublished>(Wait)).Version);
            await Eventually.TrueAsync(() => failures.Failed > 0, Wait, "the RoundCompleted publish to fail");
        }

        await using var host = await StartAsync();
        await host.Bus.Publish(round1); // the broker delivers the unfinished round again

        var completed = await host.NextPublishedAsync<RoundCompleted>(Wait);

        Assert.Equal((1, 1), (completed.Round, completed.ModelVersion));
        Assert.Equal(0, host.PublishedCount<ModelVersionPublished>()); // it went out before the crash
        Assert.Equal([0, 1], (await _models.ListVersionsAsync("task-m", CancellationToken.None)).Select(v => v.Version));
    }
}
