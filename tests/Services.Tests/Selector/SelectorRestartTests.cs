using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Selector;
using FlMicroservices.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FlMicroservices.Services.Tests.Selector;

/// <summary>The selector keeps each task's schedule in its SQLite file: a restarted selector knows the task and starts its next round.</summary>
public sealed class SelectorRestartTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly StateFolder _state = new();
    private readonly InMemoryClientHealthStore _health = new(); // the health store outlives the selector, as Redis does

    public void Dispose() => _state.Dispose();

    private static readonly TaskSpec Spec = new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = 3,
        ClientFraction = 0.5,
        MinClientsPerRound = 2,
        Training = new TrainingConfig(1, 32, 0.1, 0),
        Privacy = new PrivacyConfig(true, 1.0, 1.0, 100, 1e-5),
        Seed = 7,
    };

    private Task<HarnessHost> StartAsync() =>
        _state.StartAsync(services => services
                .AddSingleton<IClientHealthStore>(_health)
                .AddSingleton(TimeProvider.System)
                .AddSelectorService(_state.Configuration(("Selector:RoundGrace", "00:00:01"))),
            bus =>
            {
                bus.AddSelectorConsumers();
                bus.AddConsumer<AllowEveryRound>();
            });

    private async Task AddClientsAsync(int count)
    {
        for (var i = 0; i < count; i++)
            await _health.UpsertAsync(new ClientHealth($"c{i}", ClientStatus.Healthy, DateTimeOffset.UtcNow, 150, 0, 1L << 30,
                [new ClientDataset("synthetic", [60], 10, 150)]), CancellationToken.None);
    }

    // The initial model follows TaskCreated only once the selector has the task (the bus keeps no order between the two).
    private static async Task CreateAsync(HarnessHost host, string taskId, TaskSpec spec)
    {
        await host.Bus.Publish(new TaskCreated(taskId, spec, DateTimeOffset.UtcNow));
        var schedule = host.Services.GetRequiredService<TaskSchedule>();
        await Eventually.TrueAsync(() => schedule.Find(taskId) is not null, Wait, $"the selector to know {taskId}");
    }

    [Fact]
    public async Task A_restarted_selector_knows_the_task_and_starts_the_next_round_with_the_same_denominator()
    {
        await AddClientsAsync(8);
        double m;
        await using (var first = await StartAsync())
        {
            await CreateAsync(first, "task-s", Spec);
            await first.Bus.Publish(new ModelVersionPublished("task-s", 0, 0, null, 610, "d0", null, null, false));
            var round1 = await first.NextPublishedAsync<RoundStarted>(Wait);
            Assert.Equal((1, 4), (round1.Round, round1.Participants.Length));
            m = first.Services.GetRequiredService<TaskSchedule>().Find("task-s")!.ExpectedClients(-1);
            Assert.Equal(4, m);
        } // the selector dies while round 1 runs

        await AddClientsAsync(12); // more clients now: m must stay what round 1 fixed
        await using var host = await StartAsync();
        var schedule = host.Services.GetRequiredService<TaskSchedule>();
        await schedule.RestoreAsync(CancellationToken.None);
        var entry = schedule.Find("task-s");
        Assert.NotNull(entry);
        Assert.Equal(1, entry.LastStartedRound);
        Assert.Equal(Spec.Seed, entry.Spec.Seed);
        Assert.Equal(Spec.Privacy, entry.Spec.Privacy);

        await host.Bus.Publish(new ModelVersionPublished("task-s", 0, 0, null, 610, "d0", null, null, false)); // redelivered: round 1 runs already
        await host.Bus.Publish(new RoundCompleted("task-s", 1, 1, true, false, 0.5, 1.2, ["c0"], [new Contribution("c0", 150, 1, 0.5)], [], [], null, DateTimeOffset.UtcNow));
        var round2 = await host.NextPublishedAsync<RoundStarted>(Wait);

        Assert.Equal((2, 1), (round2.Round, round2.ModelVersion));
        Assert.Equal(6, round2.Participants.Length); // half of the 12 healthy clients
        Assert.Equal(m, entry.ExpectedClients(-1));
        Assert.Equal(1, host.PublishedCount<RoundStarted>());
        Assert.True(File.Exists(_state.FileOf("selector")));
    }

    [Fact]
    public async Task A_task_that_ended_before_the_restart_stays_ended()
    {
        await AddClientsAsync(4);
        await using (var first = await StartAsync())
        {
            await CreateAsync(first, "task-e", Spec with { Rounds = 1 });
            await first.Bus.Publish(new ModelVersionPublished("task-e", 0, 0, null, 610, "d0", null, null, false));
            await first.NextPublishedAsync<RoundStarted>(Wait);
            await first.Bus.Publish(new RoundCompleted("task-e", 1, 1, true, false, 0.5, 1.2, ["c0"], [], [], [], null, DateTimeOffset.UtcNow));
            Assert.Equal("all rounds completed", (await first.NextPublishedAsync<TaskCompleted>(Wait)).Reason);
        }

        await using var host = await StartAsync();
        await host.Bus.Publish(new RoundCompleted("task-e", 1, 1, true, false, 0.5, 1.2, ["c0"], [], [], [], null, DateTimeOffset.UtcNow)); // redelivered

        await Eventually.TrueAsync(() => host.Harness.Consumed.Select<RoundCompleted>().Any(), Wait, "the redelivery consumed");
        var entry = host.Services.GetRequiredService<TaskSchedule>().Find("task-e");
        Assert.True(entry!.IsCompleted);
        Assert.Equal(0, host.PublishedCount<TaskCompleted>());
        Assert.Equal(0, host.PublishedCount<RoundStarted>());
    }

    [Fact]
    public async Task A_round_under_way_when_the_selector_died_is_watched_again_and_fails_at_its_deadline()
    {
        await AddClientsAsync(4);
        await using (var first = await StartAsync())
        {
            await CreateAsync(first, "task-w", Spec with { RoundTimeout = TimeSpan.FromSeconds(3) });
            await first.Bus.Publish(new ModelVersionPublished("task-w", 0, 0, null, 610, "d0", null, null, false));
            await first.NextPublishedAsync<RoundStarted>(Wait);
            var schedule = first.Services.GetRequiredService<TaskSchedule>();
            await Eventually.TrueAsync(() => schedule.Find("task-w")!.Running is not null, Wait, "the running round recorded");
        } // the selector dies; round 1 never completes

        await using var host = await StartAsync();
        var completed = await host.NextPublishedAsync<TaskCompleted>(Wait);

        Assert.Equal("task-w", completed.TaskId);
        Assert.StartsWith("round 1 was not closed by its deadline plus 1 s of grace", completed.Reason);
        Assert.False(completed.Succeeded);
    }

    [Fact]
    public async Task A_paused_task_holds_its_next_round_across_a_restart_and_starts_it_on_resume()
    {
        await AddClientsAsync(4);
        await using (var first = await StartAsync())
        {
            await CreateAsync(first, "task-p", Spec);
            await first.Bus.Publish(new ModelVersionPublished("task-p", 0, 0, null, 610, "d0", null, null, false));
            await first.NextPublishedAsync<RoundStarted>(Wait);
            var entry = first.Services.GetRequiredService<TaskSchedule>().Find("task-p")!;
            entry.Pause(); // as POST /api/tasks/task-p/pause does
            await entry.SaveAsync(CancellationToken.None);
            await first.Bus.Publish(new RoundCompleted("task-p", 1, 1, true, false, 0.7, 0.9, ["c0"], [new Contribution("c0", 150, 1, 0.5)], [], [], null,
                DateTimeOffset.UtcNow));
            await Eventually.TrueAsync(() => entry.HeldRound == 2, Wait, "round 2 held by the pause");
            Assert.Equal(1, first.PublishedCount<RoundStarted>());
        }

        await using var host = await StartAsync();
        var schedule = host.Services.GetRequiredService<TaskSchedule>();
        await schedule.RestoreAsync(CancellationToken.None);
        // The restarted selector's own recovery pass must be over (it found the task paused), or on a slow machine it would
        // see the resume below and start the held round itself, and the operator's Release would rightly find nothing held.
        var recovery = host.Services.GetServices<IHostedService>().OfType<WatchdogRecovery>().Single();
        await recovery.ExecuteTask!.WaitAsync(Wait);
        var restored = schedule.Find("task-p")!;
        Assert.True(restored.IsPaused);
        Assert.Equal((1, 2, 1, 0.7), (restored.LastStartedRound, restored.HeldRound!.Value, restored.Model!.Value.Version, restored.Model.Value.Accuracy!.Value));
        Assert.Equal([1], restored.Rounds().Select(r => r.Round));
        Assert.True(restored.Rounds()[0].Succeeded);

        restored.Resume(); // as POST /api/tasks/task-p/resume does
        await restored.SaveAsync(CancellationToken.None);
        Assert.True(host.Services.GetRequiredService<HeldRoundRelease>().Release(restored));
        var round2 = await host.NextPublishedAsync<RoundStarted>(Wait);

        Assert.Equal((2, 1), (round2.Round, round2.ModelVersion));
        Assert.Null(restored.HeldRound);
        Assert.Equal(1, host.PublishedCount<RoundStarted>());
    }
}
