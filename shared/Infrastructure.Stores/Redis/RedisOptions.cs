using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Infrastructure.Stores.Redis;

/// <summary>Settings of the Redis client-health store; bound from the "Redis" configuration section.</summary>
/// <remarks>The server's address comes from the connection string "redis" (ConnectionStrings:redis), host:port[,options].</remarks>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>Prepended to every key the store writes, so that several deployments (or test runs) can share one server.</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression(@"^[A-Za-z0-9:_.\-]{1,64}$", ErrorMessage = "Redis:KeyPrefix must be 1 to 64 characters from A-Z, a-z, 0-9, ':', '_', '.' and '-'.")]
    public string KeyPrefix { get; set; } = "fl:";

    /// <summary>
    /// How long a client's record lives after its last heartbeat (the store's upsert). A client that stops sending heartbeats
    /// disappears after this time; choose about three heartbeat intervals.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "7.00:00:00")]
    public TimeSpan HeartbeatTtl { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// PEM file of the CA that signed the server's certificate, for a TLS connection (ssl=true in the connection string) to a
    /// server with a private CA; the system store checks it when unset.
    /// </summary>
    public string? TlsCaCertificate { get; set; }
}
