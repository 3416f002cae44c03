using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Selector;
using FlMicroservices.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Services.Tests.Selector;

/// <summary>
/// The selector's outbox under a failure at each point between receiving a round's trigger, storing the claimed round and
/// publishing: the round's RoundStarted (and the task's TaskCompleted) goes out once, with its stable id.
/// </summary>
public sealed class SelectorDeliveryTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly StateFolder _state = new();
    private readonly InMemoryClientHealthStore _health = new();

    public void Dispose() => _state.Dispose();

    private static readonly TaskSpec Spec = new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = 1,
        ClientFraction = 0.5,
        MinClientsPerRound = 2,
        Training = new TrainingConfig(1, 32, 0.1, 0),
        Seed = 11,
    };

    private async Task<HarnessHost> StartAsync(IStateStore store, IPublishObserver? failures = null)
    {
        for (var i = 0; i < 4; i++)
            await _health.UpsertAsync(new ClientHealth($"c{i}", ClientStatus.Healthy, DateTimeOffset.UtcNow, 150, 0, 1L << 30,
                [new ClientDataset("synthetic", [60], 10, 150)]), CancellationToken.None);
        var host = await _state.StartAsync(services => services
                .AddKeyedSingleton<IStateStore>("selector", store)
                .AddSingleton<IClientHealthStore>(_health)
                .AddSingleton(TimeProvider.System)
                .AddSelectorService(_state.Configuration()),
            bus =>
            {
                bus.AddSelectorConsumers();
                bus.AddConsumer<AllowEveryRound>();
            });
        if (failures is not null) host.Bus.ConnectPublishObserver(failures);
        return host;
    }

    private static async Task CreateAsync(HarnessHost host)
    {
        await host.Bus.Publish(new TaskCreated("task-d", Spec, DateTimeOffset.UtcNow));
        var schedule = host.Services.GetRequiredService<TaskSchedule>();
        await Eventually.TrueAsync(() => schedule.Find("task-d") is not null, Wait, "the selector to know task-d");
    }

    // The initial model's ModelVersionPublished, delivered three times: the first attempt fails somewhere, the broker redelivers.
    private static async Task DeliverInitialModelThriceAsync(HarnessHost host)
    {
        var initial = new ModelVersionPublished("task-d", 0, 0, null, 610, "d0", null, null, false);
        for (var delivery = 1; delivery <= 3; delivery++)
        {
            await host.Bus.Publish(initial);
            await Eventually.TrueAsync(() => host.Harness.Consumed.Select<ModelVersionPublished>().Count() >= delivery, Wait, $"delivery {delivery} to be consumed");
        }
    }

    private static async Task<IPublishedMessage<RoundStarted>> SingleRoundStartedAsync(HarnessHost host)
    {
        await Eventually.TrueAsync(() => host.PublishedCount<RoundStarted>() >= 1, Wait, "RoundStarted");
        await Task.Delay(500); // a second copy, if any, would be out by now
        var started = Assert.Single(host.Harness.Published.Select<RoundStarted>());
        Assert.Equal(EventIds.For(nameof(RoundStarted), "task-d", 1), started.Context.MessageId);
        Assert.Equal(1, started.Context.Message.Round);
        Assert.Equal(2, started.Context.Message.Participants.Length);
        return started;
    }

    [Fact]
    public async Task A_store_write_that_fails_after_receiving_the_trigger_publishes_nothing_and_the_redelivery_starts_the_round_once()
    {
        using var sqlite = new SqliteStateStore(_state.FileOf("selector"));
        var store = new FailingStateStore(sqlite, document => document is ScheduledTask { Start: not null }, times: 1);
        await using var host = await StartAsync(store);
        await CreateAsync(host);

        await DeliverInitialModelThriceAsync(host);

        await SingleRoundStartedAsync(host);
        Assert.Equal(1, store.Failed);
        Assert.NotNull(host.Harness.Consumed.Select<ModelVersionPublished>().First().Exception); // the first attempt did fail
    }

    [Fact]
    public async Task A_publish_that_fails_after_the_round_was_stored_is_retried_and_the_round_starts_once()
    {
        using var sqlite = new SqliteStateStore(_state.FileOf("selector"));
        var failures = new FailingPublishes(nameof(RoundStarted), times: 1);
        await using var host = await StartAsync(sqlite, failures);
        await CreateAsync(host);

        await DeliverInitialModelThriceAsync(host);

        var started = await SingleRoundStartedAsync(host);
        Assert.Equal(1, failures.Failed);
        var stored = Assert.Single(await new ScheduleStore(sqlite).LoadAsync(CancellationToken.None));
        Assert.Equal(started.Context.Message.Participants, stored.Start!.Participants); // the retry sent what was stored, not a new draw
        Assert.Equal(1, stored.StartPublished);
    }

    [Fact]
    public async Task A_store_write_that_fails_after_the_publish_does_not_publish_the_round_again()
    {
        using var sqlite = new SqliteStateStore(_state.FileOf("selector"));
        var store = new FailingStateStore(sqlite, document => document is ScheduledTask { StartPublished: 1 }, times: 1);
        await using var host = await StartAsync(store);
        await CreateAsync(host);

        await DeliverInitialModelThriceAsync(host);

        await SingleRoundStartedAsync(host);
        Assert.Equal(1, store.Failed);
        Assert.NotNull(host.Harness.Consumed.Select<ModelVersionPublished>().First().Exception);
    }

    [Fact]
    public async Task A_selector_that_dies_between_storing_the_round_and_publishing_it_publishes_it_once_after_the_restart_with_the_same_id()
    {
        RoundStarted stored;
        using (var sqlite = new SqliteStateStore(_state.FileOf("selector")))
        {
            var failures = new FailingPublishes(nameof(RoundStarted), times: int.MaxValue); // the process dies before any publish gets out
            await using var first = await StartAsync(sqlite, failures);
            await CreateAsync(first);
            await first.Bus.Publish(new ModelVersionPublished("task-d", 0, 0, null, 610, "d0", null, null, false));
            await Eventually.TrueAsync(() => failures.Failed >= 1, Wait, "the failed publish");
            Assert.Equal(0, first.PublishedCount<RoundStarted>());
            stored = Assert.Single(await new ScheduleStore(sqlite).LoadAsync(CancellationToken.None)).Start!;
        }

        using var reopened = new SqliteStateStore(_state.FileOf("selector"));
        await using var host = await StartAsync(reopened); // nothing is redelivered: the restarted selector publishes its outbox itself

        var started = await SingleRoundStartedAsync(host);
        Assert.Equal(stored.Participants, started.Context.Message.Participants);
        Assert.Equal(stored.Deadline, started.Context.Message.Deadline);
    }

    [Fact]
    public async Task A_task_completion_whose_publish_fails_is_published_once_by_the_redelivered_round_result()
    {
        using var sqlite = new SqliteStateStore(_state.FileOf("selector"));
        var failures = new FailingPublishes(nameof(TaskCompleted), times: 1);
        await using var host = await StartAsync(sqlite, failures);
        await CreateAsync(host);
        await host.Bus.Publish(new ModelVersionPublished("task-d", 0, 0, null, 610, "d0", null, null, false));
        await host.NextPublishedAsync<RoundStarted>(Wait);
        var completed = new RoundCompleted("task-d", 1, 1, true, false, 0.5, 1.2, ["c0"], [], [], [], null, DateTimeOffset.UtcNow);

        for (var delivery = 1; delivery <= 3; delivery++)
        {
            await host.Bus.Publish(completed);
            await Eventually.TrueAsync(() => host.Harness.Consumed.Select<RoundCompleted>().Count() >= delivery, Wait, $"delivery {delivery} to be consumed");
        }
        await Eventually.TrueAsync(() => host.PublishedCount<TaskCompleted>() >= 1, Wait, "TaskCompleted");
        await Task.Delay(500);

        var ended = Assert.Single(host.Harness.Published.Select<TaskCompleted>());
        Assert.Equal(EventIds.For(nameof(TaskCompleted), "task-d", 0), ended.Context.MessageId);
        Assert.Equal("all rounds completed", ended.Context.Message.Reason);
        Assert.Equal(1, failures.Failed);
        Assert.True(Assert.Single(await new ScheduleStore(sqlite).LoadAsync(CancellationToken.None)).CompletionPublished);
    }

    /// <summary>A state store whose first <c>times</c> writes of a document matching <c>fails</c> throw, as a full disk would.</summary>
    private sealed class FailingStateStore(IStateStore inner, Func<object?, bool> fails, int times) : IStateStore
    {
        private int _attempts;
        private int _failed;

        public int Failed => _failed;

        public string Location => inner.Location;

        public Task<IReadOnlyList<T>> ListAsync<T>(string kind, CancellationToken cancellationToken) => inner.ListAsync<T>(kind, cancellationToken);

        public Task<T?> GetAsync<T>(string kind, string key, CancellationToken cancellationToken) where T : class => inner.GetAsync<T>(kind, key, cancellationToken);

        public Task PutAsync<T>(string kind, string key, T document, CancellationToken cancellationToken)
        {
            if (!fails(document) || Interlocked.Increment(ref _attempts) > times) return inner.PutAsync(kind, key, document, cancellationToken);
            Interlocked.Increment(ref _failed);
            throw new IOException("injected: no space left on device");
        }
    }
}
