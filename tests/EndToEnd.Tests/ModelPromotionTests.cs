using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.ModelRegistry;
using FlMicroservices.ModelRegistry.Consumers;
using FlMicroservices.PrivacyAccounting;
using FlMicroservices.Selector;
using FlMicroservices.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>
/// A version an operator makes current is the base of the next round: the model registry, the selector and privacy accounting on
/// one in-memory bus, the aggregation played by the test; the promotion and the new base survive a restart of all of them.
/// </summary>
public sealed class ModelPromotionTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly StateFolder _state = new();
    private readonly InMemoryClientHealthStore _health = new(); // outlives the services, as Redis does

    private static readonly TaskSpec Spec = new()
    {
        ModelName = "logreg", SampleShape = [8], ClassCount = 3, Rounds = 6, MinClientsPerRound = 1, Training = new TrainingConfig(1, 10, 0.1),
    };

    public void Dispose() => _state.Dispose();

    private Task<HarnessHost> StartAsync() =>
        _state.StartAsync(services => services
                .AddSingleton<IClientHealthStore>(_health)
                .AddSingleton<IModelStore>(new FileModelStore(Path.Combine(_state.Root, "models")))
                .AddSingleton(TimeProvider.System)
                .AddModelRegistryService(_state.Configuration())
                .AddSelectorService(_state.Configuration())
                .AddPrivacyAccountingService(_state.Configuration()), // its journal under the same root: the restarted one still knows the task
            bus =>
            {
                bus.AddConsumer<RoundAggregatedConsumer>(); // the initial model is created by the test, once the selector has the task
                bus.AddSelectorConsumers();
                bus.AddPrivacyAccountingConsumers();
            });

    // The aggregation's part: the base version's weights moved a little, as the round's candidate.
    private static async Task AggregateAsync(HarnessHost host, int round, int baseVersion)
    {
        var store = host.Services.GetRequiredService<IModelStore>();
        var weights = await store.LoadWeightsAsync("task-m", baseVersion, CancellationToken.None);
        var candidate = await store.SaveCandidateAsync("task-m", round, weights.Select(w => w + 0.01f).ToArray(), CancellationToken.None);
        await host.Bus.Publish(new RoundAggregated("task-m", round, baseVersion, true, candidate, [new Contribution("c1", 10, 0.1, 0.5)], [], [], null, 0.1));
    }

    [Fact]
    public async Task After_a_rollback_by_hand_the_next_round_trains_from_that_version_also_after_a_restart()
    {
        await _health.UpsertAsync(new ClientHealth("c1", ClientStatus.Healthy, DateTimeOffset.UtcNow, 100, 0, 1L << 30, [new ClientDataset("synthetic", [8], 3, 100)]),
            CancellationToken.None);
        var host = await StartAsync();
        try
        {
            var created = new TaskCreated("task-m", Spec, DateTimeOffset.UtcNow);
            await host.Bus.Publish(created);
            await Eventually.TrueAsync(() => host.Services.GetRequiredService<TaskSchedule>().Find("task-m") is not null
                && host.Services.GetRequiredService<PrivacyLedger>().Find("task-m") is not null, Wait, "the selector and privacy accounting to know the task");
            await host.Services.GetRequiredService<ModelPublisher>().CreateInitialAsync(created, host.Bus, CancellationToken.None);

            var round1 = await host.NextPublishedAsync<RoundStarted>(Wait);
            Assert.Equal((1, 0), (round1.Round, round1.ModelVersion));
            await AggregateAsync(host, 1, round1.ModelVersion);
            var round2 = await host.NextPublishedAsync<RoundStarted>(Wait);
            Assert.Equal((2, 1), (round2.Round, round2.ModelVersion)); // version 1 is round 1's candidate

            // While round 2 trains from version 1, an operator rolls the task back to version 0.
            var tasks = host.Services.GetRequiredService<TaskModels>();
            var store = host.Services.GetRequiredService<IModelStore>();
            var result = await host.Services.GetRequiredService<ModelPromotion>().ApplyAsync(tasks.Find("task-m")!,
                (await store.GetVersionAsync("task-m", 0, CancellationToken.None))!, ModelPromotion.Rollback, "test rollback", host.Bus, CancellationToken.None);
            Assert.True(result.Changed);
            Assert.Equal(0, await store.GetCurrentVersionAsync("task-m", CancellationToken.None));
            var promoted = await host.NextPublishedAsync<ModelVersionPromoted>(Wait);
            Assert.Equal((0, 1, "rollback", 1), (promoted.Version, promoted.PreviousVersion, promoted.Kind, promoted.Sequence));

            await AggregateAsync(host, 2, round2.ModelVersion);
            Assert.Equal(1, (await host.NextPublishedAsync<RoundCompleted>(Wait)).Round);
            var completed = await host.NextPublishedAsync<RoundCompleted>(Wait);
            Assert.Equal((2, 0), (completed.Round, completed.ModelVersion));
            Assert.Contains("operator made version 0 current", completed.FailureReason);
            var round3 = await host.NextPublishedAsync<RoundStarted>(Wait);
            Assert.Equal((3, 0), (round3.Round, round3.ModelVersion)); // the promoted version is the next round's base
            var version2 = await store.GetVersionAsync("task-m", 2, CancellationToken.None);
            Assert.Equal(1, version2!.ParentVersion); // round 2's candidate is kept as a version
            await Eventually.TrueAsync(() => host.Services.GetRequiredService<TaskSchedule>().Find("task-m")!.Running?.Round == 3, Wait, "round 3 to be recorded");
        }
        finally { await host.DisposeAsync(); }

        // Everything restarts: the promotion record, the new base of the round under way and the task's current version are kept.
        host = await StartAsync();
        try
        {
            var tasks = host.Services.GetRequiredService<TaskModels>();
            await tasks.RestoreAsync(CancellationToken.None);
            var entry = tasks.Find("task-m")!;
            var record = Assert.Single(entry.Promotions);
            Assert.Equal((0, 1, "rollback", "test rollback", 1), (record.Version, record.FromVersion, record.Kind, record.Reason, record.AfterRound));
            Assert.Equal(0, entry.CurrentVersion);
            var schedule = host.Services.GetRequiredService<TaskSchedule>();
            await schedule.RestoreAsync(CancellationToken.None);
            Assert.Equal((3, 0), (schedule.Find("task-m")!.Running!.Round, schedule.Find("task-m")!.Running!.ModelVersion));

            // Round 3 trained from the promoted version: its candidate becomes current as usual, and round 4 trains from it.
            await AggregateAsync(host, 3, 0);
            var round4 = await host.NextPublishedAsync<RoundStarted>(Wait);
            Assert.Equal((4, 3), (round4.Round, round4.ModelVersion));
            Assert.Null(entry.PendingPromotion);
        }
        finally { await host.DisposeAsync(); }
    }
}
