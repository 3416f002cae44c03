using System.Diagnostics;
using System.Text.Json.Serialization;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.Stores.Redis;
using StackExchange.Redis;

namespace FlMicroservices.Cli.Bench;

/// <summary>The selector's lookup of a task's candidates in the Redis health store: the data set index vs reading every healthy record.</summary>
/// <param name="Clients">Healthy clients registered, each advertising the synthetic data set (a tenth of them another one).</param>
/// <param name="Candidates">Clients holding the task's data set, as both lookups found them.</param>
/// <param name="RegisterSeconds">Writing every record (batched upserts).</param>
/// <param name="ReadEveryRecordMilliseconds">The baseline, median: the healthy ids, then every record, filtered (the selector before the index).</param>
/// <param name="IndexMilliseconds">The index lookup, median: what the selector does now.</param>
/// <param name="Speedup">Baseline over index.</param>
public sealed record SelectionBenchmarkResult(
    [property: JsonPropertyName("clients")] int Clients,
    [property: JsonPropertyName("candidates")] int Candidates,
    [property: JsonPropertyName("register_s")] double RegisterSeconds,
    [property: JsonPropertyName("read_every_record_ms")] double ReadEveryRecordMilliseconds,
    [property: JsonPropertyName("index_ms")] double IndexMilliseconds,
    [property: JsonPropertyName("speedup")] double Speedup);

/// <summary>Measures <see cref="RedisClientHealthStore.GetHealthyHoldingAsync"/> against the read-every-record lookup in one run (see <see cref="RunAsync"/>).</summary>
public static class SelectionBenchmark
{
    /// <summary>Registers <paramref name="clients"/> under a fresh key prefix on <paramref name="redis"/>, times both lookups <paramref name="repeats"/> times each, and removes the keys.</summary>
    /// <exception cref="InvalidOperationException">The two lookups disagree.</exception>
    public static async Task<SelectionBenchmarkResult> RunAsync(string redis, int clients, int repeats, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        var prefix = $"bench:{Guid.NewGuid():N}:";
        var store = new RedisClientHealthStore(connection, new RedisOptions { KeyPrefix = prefix, HeartbeatTtl = TimeSpan.FromMinutes(30) }, new ResilienceOptions());
        try
        {
            var now = DateTimeOffset.UtcNow;
            ClientDataset synthetic = new("synthetic", [60], 10, 150), other = new("mnist", [1, 28, 28], 10, 600);
            var register = Stopwatch.StartNew();
            await store.UpsertManyAsync(Enumerable.Range(0, clients).Select(i =>
                new ClientHealth($"client-{i:D6}", ClientStatus.Healthy, now, 150, 0.1, 1L << 30, [i % 10 == 0 ? other : synthetic])), cancellationToken);
            var registerSeconds = register.Elapsed.TotalSeconds;
            var key = DatasetIndex.Key("synthetic", [60], 10);
            var within = TimeSpan.FromMinutes(10);
            IClientHealthStore reading = store;

            async Task<IReadOnlyList<string>> ReadEveryRecord()
            {
                var healthy = await store.GetHealthyAsync(within, cancellationToken);
                var records = await store.GetManyAsync(healthy, cancellationToken);
                return [.. records.Where(r => DatasetIndex.Holds(r.Datasets, key)).Select(r => r.ClientId)];
            }

            var (baseline, slow) = await TimeAsync(ReadEveryRecord, repeats);
            var (indexed, fast) = await TimeAsync(() => store.GetHealthyHoldingAsync(within, key, cancellationToken), repeats);
            if (!slow.SequenceEqual(fast, StringComparer.Ordinal))
                throw new InvalidOperationException($"The index found {fast.Count} candidates and reading every record {slow.Count}.");
            return new SelectionBenchmarkResult(clients, fast.Count, registerSeconds, baseline, indexed, baseline / indexed);
        }
        finally
        {
            var server = connection.GetServers()[0];
            var database = connection.GetDatabase();
            await foreach (var stale in server.KeysAsync(pattern: prefix + "*", pageSize: 10_000))
                await database.KeyDeleteAsync(stale, CommandFlags.FireAndForget);
        }
    }

    // The median of `repeats` timed calls after one untimed warm-up, and the last answer.
    private static async Task<(double Milliseconds, IReadOnlyList<string> Answer)> TimeAsync(Func<Task<IReadOnlyList<string>>> call, int repeats)
    {
        var answer = await call();
        var times = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            answer = await call();
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return (times[repeats / 2], answer);
    }
}
