using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.ModelRegistry;
using MassTransit;
using FlMicroservices.Testing;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>
/// The model registry's round result under failures between receiving RoundAggregated, storing the version and publishing:
/// whatever fails once, the retried round stores one version and publishes ModelVersionPublished and RoundCompleted once each.
/// </summary>
public sealed class ModelPublisherDeliveryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fl-publisher-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("store")]                       // saving the version fails: nothing is published yet
    [InlineData(nameof(ModelVersionPublished))] // the first publish fails: the version is stored
    [InlineData(nameof(RoundCompleted))]        // the second publish fails: ModelVersionPublished is already out
    public async Task A_failure_at_each_point_ends_with_one_version_and_each_event_published_once(string failingPoint)
    {
        var store = new FailingStore(new FileModelStore(_root), failSaves: failingPoint == "store" ? 1 : 0);
        await using var provider = new ServiceCollection()
            .AddSingleton<IModelStore>(store)
            .AddSingleton(TimeProvider.System)
            .AddLogging()
            .AddModelRegistryService()
            .AddMassTransitTestHarness(x => x.SetLoadedMachineTimeouts().AddModelRegistryConsumers())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var spec = new TaskSpec { ModelName = "logreg", SampleShape = [8], ClassCount = 3, Rounds = 1, Training = new TrainingConfig(1, 10, 0.1) };
        await harness.Bus.Publish(new TaskCreated("task-p", spec, DateTimeOffset.UtcNow));
        await Eventually.TrueAsync(() => harness.Published.Select<ModelVersionPublished>().Any(p => p.Context.Message.Version == 0), TimeSpan.FromSeconds(30), "the initial version");
        var failures = new FailingPublishes(failingPoint, times: failingPoint == "store" ? 0 : 1); // from here on: the round's events
        using var observer = harness.Bus.ConnectPublishObserver(failures);
        var initial = await store.LoadWeightsAsync("task-p", 0, CancellationToken.None);
        var candidate = await store.SaveCandidateAsync("task-p", 1, initial.Select(w => w + 0.01f).ToArray(), CancellationToken.None);
        var aggregated = new RoundAggregated("task-p", 1, 0, true, candidate, [new Contribution("c1", 10, 0.1, 0.5)], [], [], null, 0.1);

        // The broker delivers RoundAggregated again after the failed attempt, and once more after the successful one.
        for (var delivery = 1; delivery <= 3; delivery++)
        {
            await harness.Bus.Publish(aggregated);
            await Eventually.TrueAsync(() => harness.Consumed.Select<RoundAggregated>().Count() >= delivery, TimeSpan.FromSeconds(30), $"delivery {delivery} to be consumed");
        }
        await Eventually.TrueAsync(() => harness.Published.Select<RoundCompleted>().Any(), TimeSpan.FromSeconds(30), "RoundCompleted");
        await Task.Delay(500); // a second copy, if any, would be out by now

        var versions = harness.Published.Select<ModelVersionPublished>().Where(p => p.Context.Message.Round == 1).ToArray();
        var completed = Assert.Single(harness.Published.Select<RoundCompleted>());
        var version = Assert.Single(versions);
        Assert.Equal(1, version.Context.Message.Version);
        Assert.Equal(1, completed.Context.Message.ModelVersion);
        Assert.Equal(EventIds.For(nameof(RoundCompleted), "task-p", 1), completed.Context.MessageId);
        Assert.Equal(EventIds.For(nameof(ModelVersionPublished), "task-p", 1), version.Context.MessageId);
        Assert.Equal([0, 1], (await store.ListVersionsAsync("task-p", CancellationToken.None)).Select(v => v.Version));
        Assert.Equal(1, failures.Failed + store.Failed);
        Assert.NotNull(harness.Consumed.Select<RoundAggregated>().First().Exception); // the first attempt did fail
    }

    /// <summary>The file store, except that the first <c>failSaves</c> saves of a round's version throw as a full disk would.</summary>
    private sealed class FailingStore(IModelStore inner, int failSaves) : IModelStore
    {
        private int _attempts;
        private int _failed;

        public int Failed => _failed;

        public Task SaveVersionAsync(ModelVersionInfo info, ReadOnlyMemory<float> weights, CancellationToken cancellationToken)
        {
            if (info.Version == 0 || Interlocked.Increment(ref _attempts) > failSaves) return inner.SaveVersionAsync(info, weights, cancellationToken);
            Interlocked.Increment(ref _failed);
            throw new IOException("injected: no space left on device");
        }

        public Task<ModelVersionInfo?> GetVersionAsync(string taskId, int version, CancellationToken cancellationToken) => inner.GetVersionAsync(taskId, version, cancellationToken);
        public Task<float[]> LoadWeightsAsync(string taskId, int version, CancellationToken cancellationToken) => inner.LoadWeightsAsync(taskId, version, cancellationToken);
        public Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string taskId, CancellationToken cancellationToken) => inner.ListVersionsAsync(taskId, cancellationToken);
        public Task<int?> GetCurrentVersionAsync(string taskId, CancellationToken cancellationToken) => inner.GetCurrentVersionAsync(taskId, cancellationToken);
        public Task SetCurrentVersionAsync(string taskId, int version, CancellationToken cancellationToken) => inner.SetCurrentVersionAsync(taskId, version, cancellationToken);
        public Task<string> SaveCandidateAsync(string taskId, int round, ReadOnlyMemory<float> weights, CancellationToken cancellationToken) => inner.SaveCandidateAsync(taskId, round, weights, cancellationToken);
        public Task<float[]> LoadCandidateAsync(string reference, CancellationToken cancellationToken) => inner.LoadCandidateAsync(reference, cancellationToken);
    }
}
