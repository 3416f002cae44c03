using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Infrastructure.Health;

/// <summary>Where clients' liveness and resources are kept; the selector reads healthy clients from it.</summary>
public interface IClientHealthStore
{
    Task UpsertAsync(ClientHealth health, CancellationToken cancellationToken);

    Task<ClientHealth?> GetAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Ids (ordinal order) of clients marked healthy whose last heartbeat is newer than <paramref name="maxAge"/>.</summary>
    Task<IReadOnlyList<string>> GetHealthyAsync(TimeSpan maxAge, CancellationToken cancellationToken);

    Task<int> CountAsync(CancellationToken cancellationToken);

    /// <summary>The last heartbeat of every client with a record, by id, in one read (the fleet page's sort by heartbeat).</summary>
    Task<IReadOnlyDictionary<string, DateTimeOffset>> GetLastSeenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Ids (ordinal order) of the healthy clients, as <see cref="GetHealthyAsync"/> gives them, that hold a data set found under
    /// <paramref name="datasetKey"/> (<see cref="DatasetIndex"/>) or advertised none: the selector's candidates for a task.
    /// </summary>
    /// <remarks>This default reads every healthy client's record; a store with an index answers from it.</remarks>
    async Task<IReadOnlyList<string>> GetHealthyHoldingAsync(TimeSpan maxAge, string datasetKey, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(datasetKey);
        var healthy = await GetHealthyAsync(maxAge, cancellationToken).ConfigureAwait(false);
        var records = await GetManyAsync(healthy, cancellationToken).ConfigureAwait(false);
        var holding = records.Where(r => DatasetIndex.Holds(r.Datasets, datasetKey)).Select(r => r.ClientId).ToHashSet(StringComparer.Ordinal);
        return healthy.Where(holding.Contains).ToArray();
    }

    /// <summary>The records of <paramref name="clientIds"/> that exist, in the given order (the selector's capability check).</summary>
    async Task<IReadOnlyList<ClientHealth>> GetManyAsync(IReadOnlyList<string> clientIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clientIds);
        var found = new List<ClientHealth>(clientIds.Count);
        foreach (var id in clientIds)
            if (await GetAsync(id, cancellationToken).ConfigureAwait(false) is { } record) found.Add(record);
        return found;
    }
}

/// <summary>The health record of one client.</summary>
/// <param name="Datasets">The data sets the client advertised at registration; null when it advertised none (it matches any task).</param>
/// <param name="MissedRounds">Rounds in a row the client was selected for and uploaded nothing; reset by an upload.</param>
/// <param name="DemotedUntil">Until when the client is kept unhealthy for missing rounds (its heartbeats do not make it healthy); null when it is not demoted.</param>
/// <param name="LastMissedRound">The last round counted in <paramref name="MissedRounds"/> ("task/round"), so a redelivered round is not counted twice.</param>
public sealed record ClientHealth(
    string ClientId,
    ClientStatus Status,
    DateTimeOffset LastSeen,
    int ExampleCount,
    double CpuLoad,
    long FreeMemoryBytes,
    IReadOnlyList<ClientDataset>? Datasets = null,
    int MissedRounds = 0,
    DateTimeOffset? DemotedUntil = null,
    string? LastMissedRound = null);

/// <summary>Whether a client may be selected.</summary>
public enum ClientStatus
{
    Healthy,
    Unhealthy,
    Removed,
}
