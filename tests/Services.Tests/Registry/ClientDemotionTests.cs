using FlMicroservices.Testing;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Registry;
using FlMicroservices.Services.Tests.Health;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Services.Tests.Registry;

/// <summary>Clients that are selected and never upload are demoted in health, and come back only by uploading.</summary>
public sealed class ClientDemotionTests
{
    private static readonly ClientCapabilities Capabilities = new(150, 2, 1L << 30, ["logreg"], [new ClientDataset("synthetic", [60], 10, 150)], 0.25);
    private static readonly TimeSpan Recent = TimeSpan.FromMinutes(1);
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));

    private async Task<(ServiceProvider Provider, ITestHarness Harness, InMemoryClientHealthStore Store)> StartAsync(int afterMissedRounds = 3)
    {
        var store = new InMemoryClientHealthStore(_clock);
        var provider = new ServiceCollection()
            .AddSingleton<IClientHealthStore>(store)
            .AddSingleton<TimeProvider>(_clock)
            .AddLogging()
            .AddRegistryService()
            .Configure<DemotionOptions>(o => o.AfterMissedRounds = afterMissedRounds)
            .AddMassTransitTestHarness(bus => bus.SetLoadedMachineTimeouts().AddRegistryConsumers())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        foreach (var id in new[] { "ghost", "worker", "rejected" }) await PublishAsync(harness, new RegisterClient(id, Capabilities));
        Assert.Equal(3, (await store.GetHealthyAsync(Recent, CancellationToken.None)).Count);
        return (provider, harness, store);
    }

    // Round r of task t: "ghost" selected and silent, "worker" uploaded, "rejected" uploaded and was refused.
    private static RoundCompleted Round(int round, string task = "t") => new(task, round, round, true, false, 0.5, 0.5, ["ghost", "worker", "rejected"],
        [new Contribution("worker", 10, 1, 0.1)], [new RejectedUpdate("rejected", "update refused: non-finite")], ["ghost"], null, DateTimeOffset.UtcNow);

    private static async Task CompleteAsync(ITestHarness harness, RoundCompleted round)
    {
        var before = harness.Consumed.Select<RoundCompleted>().Count();
        await harness.Bus.Publish(round);
        await WaitAsync(() => Task.FromResult(harness.Consumed.Select<RoundCompleted>().Count() > before));
    }

    private static async Task PublishAsync<T>(ITestHarness harness, T message) where T : class
    {
        var before = harness.Consumed.Select<T>().Count();
        await harness.Bus.Publish(message);
        await WaitAsync(() => Task.FromResult(harness.Consumed.Select<T>().Count() > before));
    }

    [Fact]
    public async Task Three_silent_rounds_in_a_row_demote_a_client_until_its_period_ends_and_heartbeats_do_not_lift_it()
    {
        var (provider, harness, store) = await StartAsync();
        await using var _ = provider;

        await CompleteAsync(harness, Round(1));
        await CompleteAsync(harness, Round(2));
        var ghost = await store.GetAsync("ghost", CancellationToken.None);
        Assert.Equal((ClientStatus.Healthy, 2, (DateTimeOffset?)null), (ghost!.Status, ghost.MissedRounds, ghost.DemotedUntil));

        await CompleteAsync(harness, Round(3));
        ghost = await store.GetAsync("ghost", CancellationToken.None);
        Assert.Equal((ClientStatus.Unhealthy, 3, _clock.Now + TimeSpan.FromMinutes(10), "t/3"), (ghost!.Status, ghost.MissedRounds, ghost.DemotedUntil, ghost.LastMissedRound));
        Assert.Equal(["rejected", "worker"], (await store.GetHealthyAsync(Recent, CancellationToken.None)).Order(StringComparer.Ordinal));
        Assert.Equal(0, (await store.GetAsync("worker", CancellationToken.None))!.MissedRounds);
        Assert.Equal(0, (await store.GetAsync("rejected", CancellationToken.None))!.MissedRounds);

        // Heartbeats and a new registration during the period leave it demoted.
        _clock.Advance(TimeSpan.FromMinutes(5));
        await PublishAsync(harness, new ClientHeartbeat("ghost", 0.1, 1000, _clock.Now));
        await PublishAsync(harness, new RegisterClient("ghost", Capabilities));
        ghost = await store.GetAsync("ghost", CancellationToken.None);
        Assert.Equal((ClientStatus.Unhealthy, _clock.Now), (ghost!.Status, ghost.LastSeen));
        Assert.DoesNotContain("ghost", await store.GetHealthyAsync(Recent, CancellationToken.None));

        // After the period a heartbeat makes it selectable again, on probation: one more silent round demotes it again.
        _clock.Advance(TimeSpan.FromMinutes(6));
        await PublishAsync(harness, new ClientHeartbeat("ghost", 0.1, 1000, _clock.Now));
        Assert.Equal(ClientStatus.Healthy, (await store.GetAsync("ghost", CancellationToken.None))!.Status);
        Assert.Null((await store.GetAsync("ghost", CancellationToken.None))!.DemotedUntil);
        await CompleteAsync(harness, Round(4));
        Assert.Equal(ClientStatus.Unhealthy, (await store.GetAsync("ghost", CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task An_upload_resets_the_count_and_a_redelivered_round_is_counted_once()
    {
        var (provider, harness, store) = await StartAsync();
        await using var _ = provider;

        await CompleteAsync(harness, Round(1));
        await CompleteAsync(harness, Round(1)); // redelivered
        await CompleteAsync(harness, Round(2));
        Assert.Equal(2, (await store.GetAsync("ghost", CancellationToken.None))!.MissedRounds);

        var uploaded = Round(3) with { Contributors = [new Contribution("ghost", 10, 1, 0.1)], Dropouts = [] };
        await CompleteAsync(harness, uploaded);
        Assert.Equal((0, (string?)null), ((await store.GetAsync("ghost", CancellationToken.None))!.MissedRounds, (await store.GetAsync("ghost", CancellationToken.None))!.LastMissedRound));
        await CompleteAsync(harness, Round(4));
        await CompleteAsync(harness, Round(5));
        Assert.Equal(ClientStatus.Healthy, (await store.GetAsync("ghost", CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_client_that_declines_is_not_counted_as_silent()
    {
        var (provider, harness, store) = await StartAsync();
        await using var _ = provider;

        // "ghost" declines three rounds in a row (outside its window; or the round closed with enough updates without it).
        for (var round = 1; round <= 3; round++)
            await CompleteAsync(harness, Round(round) with { Declined = [new DeclinedUpdate("ghost", "outside its node's training window 22:00-06:00")] });

        var ghost = await store.GetAsync("ghost", CancellationToken.None);
        Assert.Equal((ClientStatus.Healthy, 0), (ghost!.Status, ghost.MissedRounds));
        Assert.Contains("ghost", await store.GetHealthyAsync(Recent, CancellationToken.None));
    }

    [Fact]
    public async Task With_demotion_off_silent_clients_stay_healthy()
    {
        var (provider, harness, store) = await StartAsync(afterMissedRounds: 0);
        await using var _ = provider;

        for (var r = 1; r <= 5; r++) await CompleteAsync(harness, Round(r));
        var ghost = await store.GetAsync("ghost", CancellationToken.None);
        Assert.Equal((ClientStatus.Healthy, 0), (ghost!.Status, ghost.MissedRounds));
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "the condition did not hold within 30 s");
            await Task.Delay(20);
        }
    }
}
