using FlMicroservices.Infrastructure.Health;

namespace FlMicroservices.Services.Tests.Health;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

public class InMemoryClientHealthStoreTests
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);

    private static ClientHealth Health(string id, ClientStatus status, DateTimeOffset lastSeen) => new(id, status, lastSeen, 600, 0.25, 1L << 30);

    [Fact]
    public async Task Only_healthy_clients_seen_within_max_age_are_returned_in_ordinal_order()
    {
        var clock = new ManualTimeProvider(Start);
        var store = new InMemoryClientHealthStore(clock);
        await store.UpsertAsync(Health("b", ClientStatus.Healthy, Start.AddSeconds(-10)), CancellationToken.None);
        await store.UpsertAsync(Health("a", ClientStatus.Healthy, Start.AddSeconds(-59)), CancellationToken.None);
        await store.UpsertAsync(Health("B", ClientStatus.Healthy, Start), CancellationToken.None);
        await store.UpsertAsync(Health("a10", ClientStatus.Healthy, Start.AddSeconds(-1)), CancellationToken.None);
        await store.UpsertAsync(Health("a9", ClientStatus.Healthy, Start.AddSeconds(-1)), CancellationToken.None);
        await store.UpsertAsync(Health("c", ClientStatus.Unhealthy, Start), CancellationToken.None);
        await store.UpsertAsync(Health("d", ClientStatus.Healthy, Start.AddSeconds(-61)), CancellationToken.None);
        await store.UpsertAsync(Health("e", ClientStatus.Removed, Start), CancellationToken.None);

        var healthy = await store.GetHealthyAsync(MaxAge, CancellationToken.None);

        Assert.Equal(["B", "a", "a10", "a9", "b"], healthy);
        Assert.Equal(8, await store.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Clients_age_out_as_the_clock_moves()
    {
        var clock = new ManualTimeProvider(Start);
        var store = new InMemoryClientHealthStore(clock);
        await store.UpsertAsync(Health("old", ClientStatus.Healthy, Start.AddSeconds(-30)), CancellationToken.None);
        await store.UpsertAsync(Health("new", ClientStatus.Healthy, Start), CancellationToken.None);

        clock.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(new[] { "new" }, await store.GetHealthyAsync(MaxAge, CancellationToken.None));

        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Empty(await store.GetHealthyAsync(MaxAge, CancellationToken.None));
        Assert.Equal(new[] { "new", "old" }, await store.GetHealthyAsync(TimeSpan.FromMinutes(10), CancellationToken.None));
    }

    [Fact]
    public async Task A_heartbeat_replaces_the_previous_record()
    {
        var clock = new ManualTimeProvider(Start);
        var store = new InMemoryClientHealthStore(clock);
        await store.UpsertAsync(Health("n1", ClientStatus.Healthy, Start.AddMinutes(-5)), CancellationToken.None);
        Assert.Empty(await store.GetHealthyAsync(MaxAge, CancellationToken.None));

        await store.UpsertAsync(Health("n1", ClientStatus.Healthy, Start) with { ExampleCount = 1234 }, CancellationToken.None);
        Assert.Equal(new[] { "n1" }, await store.GetHealthyAsync(MaxAge, CancellationToken.None));
        Assert.Equal(1234, (await store.GetAsync("n1", CancellationToken.None))!.ExampleCount);

        await store.UpsertAsync(Health("n1", ClientStatus.Unhealthy, Start), CancellationToken.None);
        Assert.Empty(await store.GetHealthyAsync(MaxAge, CancellationToken.None));
        Assert.Equal(1, await store.CountAsync(CancellationToken.None));
        Assert.Null(await store.GetAsync("unknown", CancellationToken.None));
    }
}
