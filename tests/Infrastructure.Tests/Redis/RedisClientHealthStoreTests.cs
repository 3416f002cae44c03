using System.Diagnostics;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Testing;

namespace FlMicroservices.Infrastructure.Tests.Redis;

[Collection(RedisFixture.Collection)]
public sealed class RedisClientHealthStoreTests(RedisFixture redis, ITestOutputHelper output) : RedisStoreTestBase(redis, output)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task An_upserted_record_round_trips_every_field()
    {
        var store = NewStore();
        var lastSeen = new DateTimeOffset(2031, 2, 3, 4, 5, 6, TimeSpan.FromHours(2)).AddTicks(1234567);
        var healthy = new ClientHealth("client-7", ClientStatus.Healthy, lastSeen, 60_000, 0.1 + 0.2, 12_884_901_888L);
        var removed = new ClientHealth("client-8", ClientStatus.Removed, lastSeen.AddMinutes(-1), 0, double.NaN, 0L);

        await store.UpsertAsync(healthy, None);
        await store.UpsertAsync(removed, None);
        var loaded = await store.GetAsync("client-7", None);
        var loadedRemoved = await store.GetAsync("client-8", None);

        Assert.Equal(healthy, loaded);
        Assert.Equal(lastSeen.UtcTicks, loaded!.LastSeen.UtcTicks);
        Assert.Equal(TimeSpan.Zero, loaded.LastSeen.Offset);
        Assert.Equal(BitConverter.DoubleToInt64Bits(0.1 + 0.2), BitConverter.DoubleToInt64Bits(loaded.CpuLoad));
        Assert.Equal(ClientStatus.Removed, loadedRemoved!.Status);
        Assert.True(double.IsNaN(loadedRemoved.CpuLoad));
        Assert.Equal(0L, loadedRemoved.FreeMemoryBytes);
        Assert.Null(await store.GetAsync("client-9", None));
    }

    [Fact]
    public async Task A_demoted_record_round_trips_its_missed_rounds_and_period_and_an_older_record_reads_as_not_demoted()
    {
        var store = NewStore();
        var now = new DateTimeOffset(2031, 2, 3, 4, 5, 6, TimeSpan.Zero);
        var demoted = new ClientHealth("client-d", ClientStatus.Unhealthy, now, 10, 0, 1, null, 3, now.AddMinutes(10).AddTicks(7), "task-a/12");
        await store.UpsertAsync(demoted, None);
        Assert.Equal(demoted, await store.GetAsync("client-d", None));
        Assert.DoesNotContain("client-d", await store.GetHealthyAsync(TimeSpan.FromDays(36500), None));

        // A record written before demotion existed (no such fields in its hash) reads as never having missed a round.
        var database = Connection.GetDatabase();
        var key = store.Keys.Client("client-d");
        await database.HashDeleteAsync(key, ["missedRounds", "demotedUntilTicks", "lastMissedRound"]);
        Assert.Equal(demoted with { MissedRounds = 0, DemotedUntil = null, LastMissedRound = null }, await store.GetAsync("client-d", None));
    }

    [Fact]
    public async Task Advertised_data_sets_round_trip_and_many_records_come_back_in_one_batch()
    {
        var store = NewStore();
        Contracts.V1.ClientDataset[] datasets = [new("mnist", [1, 28, 28], 10, 600), new("synthetic", [60], 10, 150)];
        await store.UpsertAsync(Health("m1") with { Datasets = datasets }, None);
        await store.UpsertAsync(Health("plain"), None);

        var many = await store.GetManyAsync(["plain", "absent", "m1"], None);

        Assert.Equal(["plain", "m1"], many.Select(r => r.ClientId));
        Assert.Null(many[0].Datasets);
        Assert.Equal(["mnist", "synthetic"], many[1].Datasets!.Select(d => d.Name));
        Assert.Equal([1, 28, 28], many[1].Datasets![0].SampleShape);
        Assert.Equal((10, 150), (many[1].Datasets![1].ClassCount, many[1].Datasets![1].ExampleCount));
    }

    [Fact]
    public async Task The_data_set_index_answers_the_healthy_clients_holding_a_data_set_as_reading_every_record_would()
    {
        var redis = NewStore();
        var memory = new InMemoryClientHealthStore();
        var now = DateTimeOffset.UtcNow;
        Contracts.V1.ClientDataset mnist = new("mnist", [1, 28, 28], 10, 600), synthetic = new("synthetic", [60], 10, 150);
        ClientHealth[] records =
        [
            Health("m1") with { Datasets = [mnist] },
            Health("s1") with { Datasets = [synthetic] },
            Health("both") with { Datasets = [synthetic, mnist] },
            Health("legacy"), // advertised nothing: matches every task
            Health("f1") with { Datasets = [mnist with { Name = "fashion" }] },
            Health("down", ClientStatus.Unhealthy) with { Datasets = [mnist] },
            Health("old", lastSeen: now.AddMinutes(-10)) with { Datasets = [mnist] },
            // Registered with synthetic ten minutes ago, now with mnist only: its synthetic entry has aged out.
            Health("moved", lastSeen: now.AddMinutes(-10)) with { Datasets = [synthetic] },
            Health("moved", lastSeen: now) with { Datasets = [mnist] },
        ];
        foreach (var record in records)
        {
            await redis.UpsertAsync(record, None);
            await memory.UpsertAsync(record, None);
        }

        var within = TimeSpan.FromMinutes(1);
        var mnistKey = DatasetIndex.Key("mnist", [1, 28, 28], 10);
        var anyNameKey = DatasetIndex.Key(null, [1, 28, 28], 10);
        var syntheticKey = DatasetIndex.Key("synthetic", [60], 10);
        Assert.Equal(["both", "legacy", "m1", "moved"], await redis.GetHealthyHoldingAsync(within, mnistKey, None));
        Assert.Equal(["both", "f1", "legacy", "m1", "moved"], await redis.GetHealthyHoldingAsync(within, anyNameKey, None));
        Assert.Equal(["both", "legacy", "s1"], await redis.GetHealthyHoldingAsync(within, syntheticKey, None));
        Assert.Equal(["legacy"], await redis.GetHealthyHoldingAsync(within, DatasetIndex.Key("cifar", [3, 32, 32], 10), None));
        IClientHealthStore reading = memory; // the default: every healthy client's record read
        foreach (var key in new[] { mnistKey, anyNameKey, syntheticKey })
            Assert.Equal(await reading.GetHealthyHoldingAsync(within, key, None), await redis.GetHealthyHoldingAsync(within, key, None));
    }

    [Fact]
    public async Task Index_entries_of_expired_records_are_dropped_when_the_index_is_read()
    {
        var store = NewStore(ttl: TimeSpan.FromSeconds(90));
        Contracts.V1.ClientDataset mnist = new("mnist", [1, 28, 28], 10, 600);
        await store.UpsertAsync(Health("long-gone", lastSeen: DateTimeOffset.UtcNow.AddDays(-1)) with { Datasets = [mnist] }, None);
        await store.UpsertAsync(Health("here") with { Datasets = [mnist] }, None);
        var key = DatasetIndex.Key("mnist", [1, 28, 28], 10);
        var database = Connection.GetDatabase();
        Assert.Equal(2, await database.SortedSetLengthAsync(store.Keys.Holding(key)));

        Assert.Equal(["here"], await store.GetHealthyHoldingAsync(TimeSpan.FromMinutes(2), key, None));

        Assert.Equal(["here"], (await database.SortedSetRangeByRankAsync(store.Keys.Holding(key))).Select(v => v.ToString()));
    }

    [Fact]
    public async Task A_later_upsert_replaces_the_record()
    {
        var store = NewStore();
        await store.UpsertAsync(Health("c1") with { ExampleCount = 5, CpuLoad = 0.9 }, None);
        await store.UpsertAsync(Health("c1", ClientStatus.Unhealthy) with { ExampleCount = 6, CpuLoad = 0.1 }, None);

        var loaded = await store.GetAsync("c1", None);

        Assert.Equal(ClientStatus.Unhealthy, loaded!.Status);
        Assert.Equal(6, loaded.ExampleCount);
        Assert.Equal(0.1, loaded.CpuLoad);
        Assert.Equal(1, await store.CountAsync(None));
    }

    [Fact]
    public async Task A_record_expires_after_its_heartbeat_ttl_and_leaves_the_indexes()
    {
        var store = NewStore(ttl: TimeSpan.FromSeconds(1));
        await store.UpsertAsync(Health("short-lived"), None);

        var ttl = await Connection.GetDatabase().KeyTimeToLiveAsync(store.Keys.Client("short-lived"));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
        Assert.NotNull(await store.GetAsync("short-lived", None));
        Assert.Equal(1, await store.CountAsync(None));
        Assert.Equal(["short-lived"], await store.GetHealthyAsync(TimeSpan.FromHours(1), None));

        // Wait for the server to expire the hash (bounded, so a broken TTL fails instead of hanging).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (await store.GetAsync("short-lived", None) is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the record did not expire within 15 s of a 1 s TTL");
            await Task.Delay(100);
        }
        // The expiry score is taken before the hash's own expiry is set, so it has passed too by now.
        Assert.Equal(0, await store.CountAsync(None));
        Assert.Empty(await store.GetHealthyAsync(TimeSpan.FromHours(1), None));
        Assert.Equal(0, await Connection.GetDatabase().SortedSetLengthAsync(store.Keys.Healthy));
        Assert.Equal(0, await Connection.GetDatabase().SortedSetLengthAsync(store.Keys.Registered));
        Assert.Empty(await store.GetLastSeenAsync(None));
        Assert.Equal(0, await Connection.GetDatabase().SortedSetLengthAsync(store.Keys.Seen));
    }

    [Fact]
    public async Task Last_seen_answers_every_record_of_any_status_to_the_millisecond_and_drops_expired_ones()
    {
        var store = NewStore(ttl: TimeSpan.FromSeconds(30));
        var seen = new DateTimeOffset(2031, 2, 3, 4, 5, 6, TimeSpan.Zero).AddMilliseconds(789);
        await store.UpsertAsync(Health("up") with { LastSeen = seen }, None);
        await store.UpsertAsync(Health("down", ClientStatus.Unhealthy) with { LastSeen = seen.AddMinutes(-5) }, None);
        await store.UpsertAsync(Health("gone") with { LastSeen = seen.AddMinutes(-9) }, None);
        await store.UpsertAsync(Health("up") with { LastSeen = seen.AddSeconds(1) }, None); // a later heartbeat replaces the time

        var all = await store.GetLastSeenAsync(None);
        Assert.Equal(3, all.Count);
        Assert.Equal(seen.AddSeconds(1), all["up"]);
        Assert.Equal(seen.AddMinutes(-5), all["down"]);

        // Make "gone" expire: its record and, at the next read, its index entries.
        var database = Connection.GetDatabase();
        await database.KeyDeleteAsync(store.Keys.Client("gone"));
        await database.SortedSetAddAsync(store.Keys.Registered, "gone", 1);
        var after = await store.GetLastSeenAsync(None);
        Assert.Equal(["down", "up"], after.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, await database.SortedSetLengthAsync(store.Keys.Seen));
    }

    [Fact]
    public async Task A_heartbeat_renews_the_ttl()
    {
        var store = NewStore(ttl: TimeSpan.FromSeconds(30));
        await store.UpsertAsync(Health("renewed"), None);
        var key = store.Keys.Client("renewed");
        await Connection.GetDatabase().KeyExpireAsync(key, TimeSpan.FromSeconds(2));

        await store.UpsertAsync(Health("renewed"), None);

        var ttl = await Connection.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task The_healthy_query_honours_max_age_and_status_changes()
    {
        var store = NewStore();
        var now = DateTimeOffset.UtcNow;
        await store.UpsertAsync(Health("fresh", lastSeen: now), None);
        await store.UpsertAsync(Health("stale", lastSeen: now.AddMinutes(-10)), None);
        await store.UpsertAsync(Health("sick", ClientStatus.Unhealthy, now), None);
        await store.UpsertAsync(Health("gone", ClientStatus.Removed, now), None);

        Assert.Equal(["fresh"], await store.GetHealthyAsync(TimeSpan.FromMinutes(5), None));
        Assert.Equal(["fresh", "stale"], await store.GetHealthyAsync(TimeSpan.FromHours(1), None));

        await store.UpsertAsync(Health("fresh", ClientStatus.Unhealthy, now), None);
        Assert.Equal(["stale"], await store.GetHealthyAsync(TimeSpan.FromHours(1), None));

        await store.UpsertAsync(Health("sick", ClientStatus.Healthy, now), None);
        await store.UpsertAsync(Health("fresh", ClientStatus.Healthy, now), None);
        Assert.Equal(["fresh", "sick"], await store.GetHealthyAsync(TimeSpan.FromMinutes(5), None));
        Assert.Equal(4, await store.CountAsync(None));
    }

    [Fact]
    public async Task Healthy_ids_come_in_ordinal_order()
    {
        var store = NewStore();
        foreach (var id in new[] { "client-b", "client_a", "client-A", "client-9", "Client-a", "client-10" }) await store.UpsertAsync(Health(id), None);

        var ids = await store.GetHealthyAsync(TimeSpan.FromMinutes(1), None);

        Assert.Equal(["Client-a", "client-10", "client-9", "client-A", "client-b", "client_a"], ids);
    }

    [Fact]
    public async Task Count_is_the_exact_number_of_distinct_registered_clients()
    {
        var store = NewStore();
        Assert.Equal(0, await store.CountAsync(None));

        await store.UpsertAsync(Health("a"), None);
        await store.UpsertAsync(Health("b", ClientStatus.Unhealthy), None);
        await store.UpsertAsync(Health("c", ClientStatus.Removed), None);
        await store.UpsertAsync(Health("a", ClientStatus.Unhealthy), None);
        await store.UpsertAsync(Health("b"), None);

        Assert.Equal(3, await store.CountAsync(None));
    }

    [Fact]
    public async Task Stores_with_different_prefixes_do_not_see_each_other()
    {
        var first = NewStore();
        var second = NewStore();
        await first.UpsertAsync(Health("shared-id") with { ExampleCount = 1 }, None);
        await first.UpsertAsync(Health("only-first"), None);
        await second.UpsertAsync(Health("only-second"), None);

        Assert.Null(await second.GetAsync("shared-id", None));
        Assert.Null(await first.GetAsync("only-second", None));
        Assert.Equal(["only-first", "shared-id"], await first.GetHealthyAsync(TimeSpan.FromMinutes(1), None));
        Assert.Equal(["only-second"], await second.GetHealthyAsync(TimeSpan.FromMinutes(1), None));
        Assert.Equal(2, await first.CountAsync(None));
        Assert.Equal(1, await second.CountAsync(None));
    }

    [Fact]
    public async Task A_hundred_thousand_clients_answer_the_healthy_query_exactly()
    {
        const int clients = 100_000;
        var store = NewStore();
        var now = DateTimeOffset.UtcNow;
        // Every 10th client is unhealthy and every 10th (offset 5) last reported an hour ago: 80,000 expected.
        var records = Enumerable.Range(0, clients).Select(i => new ClientHealth(
            $"client-{i:D6}",
            i % 10 == 0 ? ClientStatus.Unhealthy : ClientStatus.Healthy,
            i % 10 == 5 ? now.AddHours(-1) : now.AddSeconds(-(i % 60)),
            i, i % 100 / 100.0, 1L << 30)).ToArray();
        var expected = records.Where((r, i) => i % 10 is not 0 and not 5).Select(r => r.ClientId).ToArray();

        var watch = Stopwatch.StartNew();
        await store.UpsertManyAsync(records, None);
        Output.WriteLine($"registered {clients} clients in {watch.ElapsedMilliseconds} ms");

        watch.Restart();
        var healthy = await store.GetHealthyAsync(TimeSpan.FromMinutes(5), None);
        Output.WriteLine($"GetHealthyAsync over {clients} clients returned {healthy.Count} ids in {watch.ElapsedMilliseconds} ms");

        Assert.Equal(80_000, expected.Length);
        Assert.Equal(expected, healthy);
        Assert.Equal(clients, await store.CountAsync(None));
        Assert.Equal(records[4321], await store.GetAsync("client-004321", None));

        watch.Restart();
        var seen = await store.GetLastSeenAsync(None);
        Output.WriteLine($"GetLastSeenAsync over {clients} clients returned {seen.Count} times in {watch.ElapsedMilliseconds} ms");
        Assert.Equal(clients, seen.Count);
        Assert.Equal(records[4321].LastSeen.ToUnixTimeMilliseconds(), seen["client-004321"].ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Bad_arguments_are_refused_with_their_name()
    {
        var store = NewStore();

        await Assert.ThrowsAsync<ArgumentNullException>(() => store.UpsertAsync(null!, None));
        var emptyId = await Assert.ThrowsAsync<ArgumentException>(() => store.UpsertAsync(Health(""), None));
        Assert.Contains("client id", emptyId.Message);
        var status = await Assert.ThrowsAsync<ArgumentException>(() => store.UpsertAsync(Health("x", (ClientStatus)42), None));
        Assert.Contains("'x'", status.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.GetHealthyAsync(TimeSpan.FromSeconds(-1), None));
        Assert.Equal(0, await store.CountAsync(None));
    }

    [Fact]
    public async Task A_corrupt_record_is_reported_with_its_key()
    {
        var store = NewStore();
        await store.UpsertAsync(Health("tampered"), None);
        await Connection.GetDatabase().HashSetAsync(store.Keys.Client("tampered"), "status", "Sleeping");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => store.GetAsync("tampered", None));

        Assert.Contains(store.Keys.Client("tampered"), error.Message);
        Assert.Contains("Sleeping", error.Message);
    }

    [Fact]
    public async Task The_ping_answers_while_the_server_runs()
    {
        var store = NewStore();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        Assert.True(await store.PingAsync(timeout.Token));
        Assert.True(store.IsConnected);
    }
}
