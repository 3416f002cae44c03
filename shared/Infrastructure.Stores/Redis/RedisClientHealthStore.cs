using System.Globalization;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Resilience;
using Polly;
using StackExchange.Redis;

namespace FlMicroservices.Infrastructure.Stores.Redis;

/// <summary>The client-health store over Redis, shared by every service instance; heartbeats expire after a TTL.</summary>
/// <remarks>Design notes: docs/infrastructure.md, "Store notes: RedisClientHealthStore".</remarks>
public sealed class RedisClientHealthStore : IClientHealthStore
{
    /// <summary>Upserts sent in one MULTI/EXEC by <see cref="UpsertManyAsync"/>.</summary>
    public const int BatchSize = 1000;

    // KEYS[1] registered, KEYS[2] healthy, KEYS[3] seen; ARGV[1] now (unix ms). Drops the index entries whose record has expired.
    private const string Prune = """
        repeat
          local batch = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1000)
          if #batch > 0 then
            redis.call('ZREM', KEYS[2], unpack(batch))
            redis.call('ZREM', KEYS[3], unpack(batch))
            redis.call('ZREM', KEYS[1], unpack(batch))
          end
        until #batch < 1000
        """;

    // ARGV[2] oldest LastSeen accepted (unix ms): prunes, then answers the healthy query, in one atomic step.
    private const string PruneAndQueryScript = Prune + "\n" + """
        return redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[2], '+inf')
        """;

    // KEYS[4] the data set's index, KEYS[5] the index of clients that advertised none; ARGV[2] oldest LastSeen accepted, ARGV[3]
    // index entries older than this are dropped (their records have expired). Prunes, then answers the healthy clients found in
    // either index with an entry at least as new as ARGV[2]: an entry left under a data set a client no longer advertises stops
    // being refreshed and ages out. (A loop of ZSCOREs measured faster here than ZUNIONSTORE and ZINTERSTORE into a scratch set.)
    private const string PruneAndHoldingScript = Prune + "\n" + """
        local oldest = tonumber(ARGV[2])
        local found = {}
        for i = 4, 5 do
          redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[3])
          local ids = redis.call('ZRANGEBYSCORE', KEYS[i], ARGV[2], '+inf')
          for _, id in ipairs(ids) do
            local seen = redis.call('ZSCORE', KEYS[2], id)
            if seen and tonumber(seen) >= oldest then found[#found + 1] = id end
          end
        end
        return found
        """;

    // Prunes, then answers every client's LastSeen (id, score, id, score, ...), in one atomic step.
    private const string PruneAndSeenScript = Prune + "\n" + """
        return redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
        """;

    private static readonly RedisValue StatusField = "status";
    private static readonly RedisValue LastSeenField = "lastSeenTicks";
    private static readonly RedisValue ExamplesField = "exampleCount";
    private static readonly RedisValue CpuField = "cpuLoad";
    private static readonly RedisValue MemoryField = "freeMemoryBytes";
    private static readonly RedisValue DatasetsField = "datasets";
    private static readonly RedisValue MissedField = "missedRounds";
    private static readonly RedisValue DemotedUntilField = "demotedUntilTicks";
    private static readonly RedisValue LastMissedField = "lastMissedRound";

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisOptions _options;
    private readonly ResiliencePipeline _pipeline;
    private readonly TimeProvider _clock;

    public RedisClientHealthStore(IConnectionMultiplexer redis, RedisOptions options, ResilienceOptions resilience, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resilience);
        OptionsValidation.ThrowIfInvalid(options, RedisOptions.Section);
        _redis = redis;
        _options = options;
        _clock = clock ?? TimeProvider.System;
        _pipeline = ExternalCallResilience.Create("redis", resilience, IsTransient, _clock);
        Keys = new RedisHealthKeys(options.KeyPrefix);
    }

    /// <summary>The keys this store writes.</summary>
    public RedisHealthKeys Keys { get; }

    /// <summary>Whether the multiplexer currently has a connection to the server (no round trip).</summary>
    public bool IsConnected => _redis.IsConnected;

    /// <summary>The failures the pipeline retries: the connection is down or the server did not answer in time.</summary>
    public static bool IsTransient(Exception exception) => exception is RedisConnectionException or RedisTimeoutException;

    public Task UpsertAsync(ClientHealth health, CancellationToken cancellationToken)
    {
        Check(health);
        return UpsertBatchAsync([health], cancellationToken);
    }

    /// <summary>Upserts many records, <see cref="BatchSize"/> per MULTI/EXEC round trip (a node registering its simulated clients).</summary>
    public async Task UpsertManyAsync(IEnumerable<ClientHealth> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var chunk in records.Chunk(BatchSize))
        {
            foreach (var health in chunk) Check(health);
            await UpsertBatchAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<ClientHealth?> GetAsync(string clientId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        var key = Keys.Client(clientId);
        return RunAsync(async db =>
        {
            var entries = await db.HashGetAllAsync(key).ConfigureAwait(false);
            return entries.Length == 0 ? null : Parse(clientId, key, entries);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<string>> GetHealthyAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var (now, oldest) = OldestAccepted(maxAge);
        RedisKey[] keys = [Keys.Registered, Keys.Healthy, Keys.Seen];
        RedisValue[] args = [now.ToUnixTimeMilliseconds(), oldest];
        return RunAsync<IReadOnlyList<string>>(async db =>
        {
            var result = await db.ScriptEvaluateAsync(PruneAndQueryScript, keys, args).ConfigureAwait(false);
            var ids = Array.ConvertAll((RedisValue[])result!, v => v.ToString());
            Array.Sort(ids, StringComparer.Ordinal);
            return ids;
        }, cancellationToken);
    }

    /// <summary>The healthy clients holding the data set, from the data set indexes the upserts keep: no record is read.</summary>
    public Task<IReadOnlyList<string>> GetHealthyHoldingAsync(TimeSpan maxAge, string datasetKey, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(datasetKey);
        var (now, oldest) = OldestAccepted(maxAge);
        var expired = Math.Max(0, oldest - (long)_options.HeartbeatTtl.TotalMilliseconds);
        RedisKey[] keys = [Keys.Registered, Keys.Healthy, Keys.Seen, Keys.Holding(datasetKey), Keys.HoldingNone];
        RedisValue[] args = [now.ToUnixTimeMilliseconds(), oldest, expired];
        return RunAsync<IReadOnlyList<string>>(async db =>
        {
            var result = (RedisValue[])(await db.ScriptEvaluateAsync(PruneAndHoldingScript, keys, args).ConfigureAwait(false))!;
            var ids = new HashSet<string>(result.Length, StringComparer.Ordinal); // a client moving from none to a data set is in both for a while
            foreach (var id in result) ids.Add(id.ToString());
            var sorted = ids.ToArray();
            Array.Sort(sorted, StringComparer.Ordinal);
            return sorted;
        }, cancellationToken);
    }

    /// <summary>Every unexpired record's LastSeen (to the millisecond, UTC) from the seen index, in one script call.</summary>
    public Task<IReadOnlyDictionary<string, DateTimeOffset>> GetLastSeenAsync(CancellationToken cancellationToken)
    {
        RedisKey[] keys = [Keys.Registered, Keys.Healthy, Keys.Seen];
        RedisValue[] args = [_clock.GetUtcNow().ToUnixTimeMilliseconds()];
        return RunAsync<IReadOnlyDictionary<string, DateTimeOffset>>(async db =>
        {
            var pairs = (RedisValue[])(await db.ScriptEvaluateAsync(PruneAndSeenScript, keys, args).ConfigureAwait(false))!;
            var seen = new Dictionary<string, DateTimeOffset>(pairs.Length / 2, StringComparer.Ordinal);
            for (var i = 0; i + 1 < pairs.Length; i += 2)
                seen[pairs[i].ToString()] = DateTimeOffset.FromUnixTimeMilliseconds((long)(double)pairs[i + 1]);
            return seen;
        }, cancellationToken);
    }

    /// <summary>The records of <paramref name="clientIds"/> that exist, fetched in one pipelined batch per <see cref="BatchSize"/> ids.</summary>
    public async Task<IReadOnlyList<ClientHealth>> GetManyAsync(IReadOnlyList<string> clientIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clientIds);
        var found = new List<ClientHealth>(clientIds.Count);
        foreach (var chunk in clientIds.Chunk(BatchSize))
        {
            var entries = await RunAsync(async db =>
                await Task.WhenAll(chunk.Select(id => db.HashGetAllAsync(Keys.Client(id)))).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++)
                if (entries[i].Length > 0) found.Add(Parse(chunk[i], Keys.Client(chunk[i]), entries[i]));
        }
        return found;
    }

    /// <summary>The number of clients with an unexpired record, whatever their status.</summary>
    public Task<int> CountAsync(CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var key = Keys.Registered;
        return RunAsync(async db =>
            checked((int)await db.SortedSetLengthAsync(key, now, double.PositiveInfinity, Exclude.Start).ConfigureAwait(false)),
            cancellationToken);
    }

    /// <summary>One PING, without retries: true when the server answers within <paramref name="cancellationToken"/>'s time.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _redis.GetDatabase().PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    private Task UpsertBatchAsync(IReadOnlyCollection<ClientHealth> records, CancellationToken cancellationToken)
    {
        var ttl = _options.HeartbeatTtl;
        return RunAsync(async db =>
        {
            var expiresAt = (double)(_clock.GetUtcNow() + ttl).ToUnixTimeMilliseconds();
            var transaction = db.CreateTransaction();
            foreach (var health in records)
            {
                var key = Keys.Client(health.ClientId);
                _ = transaction.HashSetAsync(key,
                [
                    new HashEntry(StatusField, health.Status.ToString()),
                    new HashEntry(LastSeenField, health.LastSeen.UtcTicks),
                    new HashEntry(ExamplesField, health.ExampleCount),
                    new HashEntry(CpuField, health.CpuLoad.ToString("R", CultureInfo.InvariantCulture)),
                    new HashEntry(MemoryField, health.FreeMemoryBytes),
                    new HashEntry(DatasetsField, health.Datasets is null ? "" : JsonSerializer.Serialize(health.Datasets)),
                    new HashEntry(MissedField, health.MissedRounds),
                    new HashEntry(DemotedUntilField, health.DemotedUntil is { } until ? until.UtcTicks : 0),
                    new HashEntry(LastMissedField, health.LastMissedRound ?? ""),
                ]);
                _ = transaction.KeyExpireAsync(key, ttl);
                _ = health.Status == ClientStatus.Healthy
                    ? transaction.SortedSetAddAsync(Keys.Healthy, health.ClientId, health.LastSeen.ToUnixTimeMilliseconds())
                    : transaction.SortedSetRemoveAsync(Keys.Healthy, health.ClientId);
                _ = transaction.SortedSetAddAsync(Keys.Registered, health.ClientId, expiresAt);
                _ = transaction.SortedSetAddAsync(Keys.Seen, health.ClientId, health.LastSeen.ToUnixTimeMilliseconds());
                if (health.Datasets is null) _ = transaction.SortedSetAddAsync(Keys.HoldingNone, health.ClientId, health.LastSeen.ToUnixTimeMilliseconds());
                else
                    foreach (var datasetKey in health.Datasets.SelectMany(DatasetIndex.KeysOf).Distinct(StringComparer.Ordinal))
                        _ = transaction.SortedSetAddAsync(Keys.Holding(datasetKey), health.ClientId, health.LastSeen.ToUnixTimeMilliseconds());
            }
            if (!await transaction.ExecuteAsync().ConfigureAwait(false))
                throw new InvalidOperationException($"Redis refused the upsert of {records.Count} client health record(s) under prefix '{Keys.Prefix}'.");
            return true;
        }, cancellationToken);
    }

    // Now, and the oldest LastSeen (unix ms) of a heartbeat at most maxAge old.
    private (DateTimeOffset Now, long Oldest) OldestAccepted(TimeSpan maxAge)
    {
        if (maxAge < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(maxAge), maxAge, "The maximum heartbeat age cannot be negative.");
        var now = _clock.GetUtcNow();
        return (now, maxAge >= now - DateTimeOffset.UnixEpoch ? 0 : (now - maxAge).ToUnixTimeMilliseconds());
    }

    private async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> call, CancellationToken cancellationToken) =>
        await _pipeline.ExecuteAsync(
            static async (state, ct) => await state.call(state.db).WaitAsync(ct).ConfigureAwait(false),
            (call, db: _redis.GetDatabase()),
            cancellationToken).ConfigureAwait(false);

    private static void Check(ClientHealth health)
    {
        ArgumentNullException.ThrowIfNull(health);
        if (string.IsNullOrEmpty(health.ClientId))
            throw new ArgumentException("A client health record needs a client id.", nameof(health));
        if (!Enum.IsDefined(health.Status))
            throw new ArgumentException($"Client '{health.ClientId}' has an unknown status {(int)health.Status}.", nameof(health));
    }

    private static ClientHealth Parse(string clientId, string key, HashEntry[] entries)
    {
        var fields = entries.ToDictionary(e => e.Name.ToString(), e => e.Value, StringComparer.Ordinal);
        RedisValue Field(RedisValue name) =>
            fields.TryGetValue(name.ToString(), out var value) ? value : throw new InvalidDataException($"Redis hash '{key}' has no field '{name}'.");
        var status = Field(StatusField).ToString();
        if (!Enum.TryParse<ClientStatus>(status, ignoreCase: false, out var parsed) || !Enum.IsDefined(parsed))
            throw new InvalidDataException($"Redis hash '{key}' has an unknown status '{status}'.");
        return new ClientHealth(
            clientId,
            parsed,
            new DateTimeOffset((long)Field(LastSeenField), TimeSpan.Zero),
            (int)Field(ExamplesField),
            double.Parse(Field(CpuField).ToString(), NumberStyles.Float, CultureInfo.InvariantCulture),
            (long)Field(MemoryField),
            fields.TryGetValue(DatasetsField.ToString(), out var datasets) && !datasets.IsNullOrEmpty
                ? JsonSerializer.Deserialize<ClientDataset[]>(datasets.ToString()) ?? throw new InvalidDataException($"Redis hash '{key}' has datasets 'null'.")
                : null,
            // Records written before demotion existed have none of the three fields.
            fields.TryGetValue(MissedField.ToString(), out var missed) ? (int)missed : 0,
            fields.TryGetValue(DemotedUntilField.ToString(), out var until) && (long)until > 0 ? new DateTimeOffset((long)until, TimeSpan.Zero) : null,
            fields.TryGetValue(LastMissedField.ToString(), out var last) && !last.IsNullOrEmpty ? last.ToString() : null);
    }
}
