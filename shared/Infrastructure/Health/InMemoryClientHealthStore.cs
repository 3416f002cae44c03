using System.Collections.Concurrent;

namespace FlMicroservices.Infrastructure.Health;

/// <summary>The embedded client-health store: a concurrent dictionary, clock from <see cref="TimeProvider"/>.</summary>
public sealed class InMemoryClientHealthStore(TimeProvider clock) : IClientHealthStore
{
    private readonly ConcurrentDictionary<string, ClientHealth> _clients = new(StringComparer.Ordinal);

    public InMemoryClientHealthStore() : this(TimeProvider.System) { }

    public Task UpsertAsync(ClientHealth health, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(health);
        _clients[health.ClientId] = health;
        return Task.CompletedTask;
    }

    public Task<ClientHealth?> GetAsync(string clientId, CancellationToken cancellationToken) =>
        Task.FromResult(_clients.TryGetValue(clientId, out var health) ? health : null);

    public Task<IReadOnlyList<string>> GetHealthyAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        var oldest = clock.GetUtcNow() - maxAge;
        IReadOnlyList<string> ids = _clients.Values
            .Where(c => c.Status == ClientStatus.Healthy && c.LastSeen >= oldest)
            .Select(c => c.ClientId)
            .Order(StringComparer.Ordinal)
            .ToArray();
        return Task.FromResult(ids);
    }

    public Task<int> CountAsync(CancellationToken cancellationToken) => Task.FromResult(_clients.Count);

    public Task<IReadOnlyDictionary<string, DateTimeOffset>> GetLastSeenAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, DateTimeOffset>>(_clients.Values.ToDictionary(c => c.ClientId, c => c.LastSeen, StringComparer.Ordinal));
}
