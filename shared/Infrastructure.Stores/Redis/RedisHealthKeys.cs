namespace FlMicroservices.Infrastructure.Stores.Redis;

/// <summary>The keys the Redis client-health store uses under one prefix.</summary>
/// <param name="Prefix">Prepended to every key (<see cref="RedisOptions.KeyPrefix"/>).</param>
public sealed record RedisHealthKeys(string Prefix)
{
    /// <summary>Sorted set of the ids of clients whose latest record says Healthy, scored by LastSeen (unix milliseconds).</summary>
    public string Healthy => Prefix + "health:healthy";

    /// <summary>Sorted set of every client with a record, scored by the record's expiry (unix milliseconds); its size is the client count.</summary>
    public string Registered => Prefix + "health:registered";

    /// <summary>Sorted set of every client with a record, scored by LastSeen (unix milliseconds): every client's last heartbeat in one read.</summary>
    public string Seen => Prefix + "health:seen";

    /// <summary>Sorted set of the clients holding a data set found under <paramref name="datasetKey"/> (<see cref="Health.DatasetIndex"/>), scored by LastSeen (unix milliseconds).</summary>
    public string Holding(string datasetKey) => Prefix + "health:dataset:" + datasetKey;

    /// <summary>Sorted set of the clients that advertised no data set (they match every task), scored by LastSeen (unix milliseconds).</summary>
    public string HoldingNone => Prefix + "health:dataset-none";

    /// <summary>The hash holding one client's record; it expires <see cref="RedisOptions.HeartbeatTtl"/> after the client's last upsert.</summary>
    public string Client(string clientId) => Prefix + "health:client:" + clientId;
}
