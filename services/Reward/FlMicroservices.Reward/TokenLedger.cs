using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Reward;

/// <summary>Token balances per client; each (task, round) is credited once, durably before anyone hears of it, and its RewardsIssued is recorded once it is out.</summary>
public sealed class TokenLedger(LedgerStore store) : RestoredState
{
    private readonly ConcurrentDictionary<string, decimal> _balances = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Task, int Round), PaidRound> _paid = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>A ledger that lives in memory only.</summary>
    public TokenLedger() : this(new LedgerStore(new InMemoryStateStore())) { }

    public override string Name => "reward ledger";

    /// <summary>
    /// Credits a round's <paramref name="shares"/> the first time (stored before it returns) and returns the rewards; any later call
    /// for the same round (a retry after a failed publish, a redelivery, a restart) returns what the first credited and changes no balance.
    /// </summary>
    public async Task<IReadOnlyList<ClientReward>> PayOnceAsync(string taskId, int round, IReadOnlyList<(string ClientId, double Score, decimal Tokens)> shares,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shares);
        await RestoreAsync(cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_paid.TryGetValue((taskId, round), out var paid)) return paid.Rewards;
            var balances = new Dictionary<string, decimal>(StringComparer.Ordinal);
            var rewards = shares.Select(s =>
            {
                var balance = balances[s.ClientId] = balances.GetValueOrDefault(s.ClientId, _balances.GetValueOrDefault(s.ClientId)) + s.Tokens;
                return new ClientReward(s.ClientId, s.Score, s.Tokens, balance);
            }).ToArray();
            var record = new PaidRound(taskId, round, rewards, false);
            await store.SaveAsync(record, cancellationToken); // a failure leaves memory as it was: the redelivery pays
            foreach (var (client, balance) in balances) _balances[client] = balance;
            _paid[(taskId, round)] = record;
            return rewards;
        }
        finally { _gate.Release(); }
    }

    /// <summary>Whether the round's RewardsIssued went out (then a redelivered RoundCompleted does nothing).</summary>
    public bool IsAnnounced(string taskId, int round)
    {
        EnsureRestored();
        return _paid.TryGetValue((taskId, round), out var paid) && paid.Announced;
    }

    /// <summary>Records, durably, that the round's RewardsIssued went out.</summary>
    public async Task MarkAnnouncedAsync(string taskId, int round, CancellationToken cancellationToken)
    {
        await RestoreAsync(cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_paid.TryGetValue((taskId, round), out var paid))
                throw new InvalidOperationException($"Round {round} of task '{taskId}' was not paid; it cannot be announced.");
            if (paid.Announced) return;
            var announced = paid with { Announced = true };
            await store.SaveAsync(announced, cancellationToken);
            _paid[(taskId, round)] = announced;
        }
        finally { _gate.Release(); }
    }

    public decimal BalanceOf(string clientId)
    {
        EnsureRestored();
        return _balances.GetValueOrDefault(clientId);
    }

    /// <summary>Every client's balance, by client id.</summary>
    public IReadOnlyDictionary<string, decimal> Balances()
    {
        EnsureRestored();
        return new SortedDictionary<string, decimal>(_balances, StringComparer.Ordinal);
    }

    /// <summary>Every paid round, by task then round.</summary>
    public IReadOnlyList<PaidRound> PaidRounds()
    {
        EnsureRestored();
        return [.. _paid.Values.OrderBy(p => p.TaskId, StringComparer.Ordinal).ThenBy(p => p.Round)];
    }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        _paid.Clear();
        _balances.Clear();
        foreach (var paid in await store.LoadAsync(cancellationToken))
        {
            _paid[(paid.TaskId, paid.Round)] = paid;
            foreach (var reward in paid.Rewards) _balances[reward.ClientId] = _balances.GetValueOrDefault(reward.ClientId) + reward.Tokens;
        }
    }
}
