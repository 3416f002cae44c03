namespace FlMicroservices.Infrastructure.Health;

/// <summary>Where clients' liveness and resources are kept; the selector reads healthy clients from it.</summary>
public interface IClientHealthStore
{
    Task UpsertAsync(ClientHealth health, CancellationToken cancellationToken);

    Task<ClientHealth?> GetAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Ids (ordinal order) of clients marked healthy whose last heartbeat is newer than <paramref name="maxAge"/>.</summary>
    Task<IReadOnlyList<string>> GetHealthyAsync(TimeSpan maxAge, CancellationToken cancellationToken);

    Task<int> CountAsync(CancellationToken cancellationToken);
}

/// <summary>The health record of one client.</summary>
public sealed record ClientHealth(
    string ClientId,
    ClientStatus Status,
    DateTimeOffset LastSeen,
    int ExampleCount,
    double CpuLoad,
    long FreeMemoryBytes);

/// <summary>Whether a client may be selected.</summary>
public enum ClientStatus
{
    Healthy,
    Unhealthy,
    Removed,
}
