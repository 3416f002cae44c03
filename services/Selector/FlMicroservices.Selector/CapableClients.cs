using FlMicroservices.Infrastructure.Health;

namespace FlMicroservices.Selector;

/// <summary>Narrows the healthy clients to those whose advertised data sets meet a task's <see cref="DatasetRequirement"/>.</summary>
public static class CapableClients
{
    /// <summary>The ids (in the given order) of the clients whose records accept <paramref name="requirement"/>.</summary>
    public static async Task<IReadOnlyList<string>> FilterAsync(IClientHealthStore health, IReadOnlyList<string> healthy, DatasetRequirement requirement,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(healthy);
        ArgumentNullException.ThrowIfNull(requirement);
        if (healthy.Count == 0) return healthy;
        var records = await health.GetManyAsync(healthy, cancellationToken);
        var capable = records.Where(requirement.Accepts).Select(r => r.ClientId).ToHashSet(StringComparer.Ordinal);
        return healthy.Where(capable.Contains).ToArray();
    }
}
