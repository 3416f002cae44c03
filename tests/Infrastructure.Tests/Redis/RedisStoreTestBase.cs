using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.Stores.Redis;
using FlMicroservices.Testing;
using StackExchange.Redis;

namespace FlMicroservices.Infrastructure.Tests.Redis;

/// <summary>A connection to the shared Redis server and stores under prefixes unique to the test; their keys are deleted afterwards.</summary>
public abstract class RedisStoreTestBase(RedisFixture redis, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<string> _prefixes = [];

    protected ConnectionMultiplexer Connection { get; private set; } = null!;

    protected ITestOutputHelper Output { get; } = output;

    public async Task InitializeAsync()
    {
        var options = ConfigurationOptions.Parse(redis.ConnectionString);
        options.AbortOnConnectFail = false;
        Connection = await ConnectionMultiplexer.ConnectAsync(options);
        Output.WriteLine($"Redis: {redis.Server.Description}");
    }

    public async Task DisposeAsync()
    {
        foreach (var server in Connection.GetServers())
        {
            foreach (var prefix in _prefixes)
            {
                var keys = new List<RedisKey>();
                await foreach (var key in server.KeysAsync(pattern: prefix + "*", pageSize: 1000)) keys.Add(key);
                foreach (var chunk in keys.Chunk(1000)) await Connection.GetDatabase().KeyDeleteAsync(chunk);
            }
        }
        await Connection.DisposeAsync();
    }

    /// <summary>A store under a fresh prefix (or <paramref name="prefix"/>), heartbeat TTL <paramref name="ttl"/> (90 s by default).</summary>
    protected RedisClientHealthStore NewStore(TimeSpan? ttl = null, string? prefix = null)
    {
        prefix ??= $"test:{Guid.NewGuid():N}:";
        _prefixes.Add(prefix);
        var options = new RedisOptions { KeyPrefix = prefix, HeartbeatTtl = ttl ?? TimeSpan.FromSeconds(90) };
        return new RedisClientHealthStore(Connection, options, new ResilienceOptions());
    }

    protected static ClientHealth Health(string id, ClientStatus status = ClientStatus.Healthy, DateTimeOffset? lastSeen = null) =>
        new(id, status, lastSeen ?? DateTimeOffset.UtcNow, 100, 0.25, 1L << 30);
}
