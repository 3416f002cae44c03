using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Registry;

/// <summary>How often each client was selected, contributed, dropped out and was rejected, and where it was last rejected; kept in the registry's store.</summary>
public sealed class ParticipationLedger(RegistryStore store) : RestoredState
{
    private readonly ConcurrentDictionary<string, ClientParticipation> _clients = new(StringComparer.Ordinal);
    private readonly HashSet<string> _rounds = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writing = new(1, 1);

    /// <summary>A ledger that lives in memory only.</summary>
    public ParticipationLedger() : this(new RegistryStore(new InMemoryStateStore())) { }

    public override string Name => "registry participation";

    /// <summary>Counts one round's participants, contributors, dropouts and rejected updates; a round counted already (a redelivery) changes nothing.</summary>
    public async Task RecordRoundAsync(RoundCompleted round, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        await RestoreAsync(cancellationToken);
        var key = $"{round.TaskId}/{round.Round}";
        await _writing.WaitAsync(cancellationToken);
        try
        {
            if (_rounds.Contains(key)) return;
            var where = $"task {round.TaskId} round {round.Round}";
            var changed = new Dictionary<string, ClientParticipation>(StringComparer.Ordinal);
            ClientParticipation Of(string id) => changed.GetValueOrDefault(id) ?? _clients.GetValueOrDefault(id) ?? new ClientParticipation(id);
            foreach (var id in round.Participants.Distinct()) changed[id] = Of(id) with { Selected = Of(id).Selected + 1 };
            foreach (var id in round.Contributors.Where(c => c.Aggregated).Select(c => c.ClientId).Distinct())
                changed[id] = Of(id) with { Contributed = Of(id).Contributed + 1 };
            foreach (var id in round.Dropouts.Distinct()) changed[id] = Of(id) with { Dropped = Of(id).Dropped + 1 };
            foreach (var rejected in round.Rejected)
                changed[rejected.ClientId] = Of(rejected.ClientId) with
                {
                    Rejected = Of(rejected.ClientId).Rejected + 1, LastRejection = rejected.Reason, LastRejectedWhere = where, LastRejectedAt = round.CompletedAt,
                };
            foreach (var client in changed.Values) await store.SaveParticipationAsync(client, cancellationToken);
            await store.SaveCountedRoundAsync(key, cancellationToken); // after the counts: a crash in between counts the round again, never loses it
            foreach (var client in changed.Values) _clients[client.ClientId] = client;
            _rounds.Add(key);
        }
        finally { _writing.Release(); }
    }

    /// <summary>Records that the registry refused a client's registration or heartbeat.</summary>
    public async Task RecordRefusalAsync(ClientRejected refusal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        await RestoreAsync(cancellationToken);
        await _writing.WaitAsync(cancellationToken);
        try
        {
            var before = _clients.GetValueOrDefault(refusal.ClientId) ?? new ClientParticipation(refusal.ClientId);
            var client = before with
            {
                Rejected = before.Rejected + 1, LastRejection = refusal.Reason, LastRejectedWhere = "registry", LastRejectedAt = refusal.RejectedAt,
            };
            await store.SaveParticipationAsync(client, cancellationToken);
            _clients[client.ClientId] = client;
        }
        finally { _writing.Release(); }
    }

    /// <summary>The client's counts (zeros when it never took part).</summary>
    public ClientParticipation Of(string clientId)
    {
        EnsureRestored();
        return _clients.GetValueOrDefault(clientId) ?? new ClientParticipation(clientId);
    }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        _clients.Clear();
        _rounds.Clear();
        foreach (var client in await store.LoadParticipationAsync(cancellationToken)) _clients[client.ClientId] = client;
        foreach (var round in await store.LoadCountedRoundsAsync(cancellationToken)) _rounds.Add(round);
    }
}

/// <summary>One client's participation: rounds it was selected for, contributed to (its update aggregated), dropped out of, and was rejected in.</summary>
public sealed record ClientParticipation(string ClientId, int Selected = 0, int Contributed = 0, int Dropped = 0, int Rejected = 0,
    string? LastRejection = null, string? LastRejectedWhere = null, DateTimeOffset? LastRejectedAt = null);
