namespace FlMicroservices.Infrastructure.Stores;

/// <summary>A readiness check of one external store, for a "ready" health endpoint: one round trip, no retries.</summary>
/// <remarks>The registration methods in <see cref="StoresExtensions"/> add one per store; resolve them all with
/// <c>GetServices&lt;StoreProbe&gt;()</c>.</remarks>
public sealed class StoreProbe(string name, Func<CancellationToken, Task<bool>> check)
{
    /// <summary>The store, e.g. "redis" or "mongodb".</summary>
    public string Name { get; } = name;

    /// <summary>True when the store answered before <paramref name="cancellationToken"/> fired; never throws for an unreachable store.</summary>
    public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => check(cancellationToken);
}
