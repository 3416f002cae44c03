using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Reward;

/// <summary>Token balances per client; each (task, round) is credited once, and its RewardsIssued is recorded once it is out.</summary>
public sealed class TokenLedger
{
    private readonly ConcurrentDictionary<string, decimal> _balances = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Task, int Round), ClientReward[]> _paid = [];
    private readonly ConcurrentDictionary<(string Task, int Round), bool> _announced = new();
    private readonly Lock _lock = new();

    /// <summary>
    /// Credits a round's <paramref name="shares"/> the first time and returns the rewards; any later call for the same round
    /// (a retry after a failed publish, a redelivery) returns what the first credited and changes no balance.
    /// </summary>
    public IReadOnlyList<ClientReward> PayOnce(string taskId, int round, IReadOnlyList<(string ClientId, double Score, decimal Tokens)> shares)
    {
        ArgumentNullException.ThrowIfNull(shares);
        lock (_lock)
        {
            if (_paid.TryGetValue((taskId, round), out var paid)) return paid;
            var rewards = shares.Select(s => new ClientReward(s.ClientId, s.Score, s.Tokens, Credit(s.ClientId, s.Tokens))).ToArray();
            _paid[(taskId, round)] = rewards;
            return rewards;
        }
    }

    /// <summary>Whether the round's RewardsIssued went out (then a redelivered RoundCompleted does nothing).</summary>
    public bool IsAnnounced(string taskId, int round) => _announced.ContainsKey((taskId, round));

    public void MarkAnnounced(string taskId, int round) => _announced[(taskId, round)] = true;

    public decimal Credit(string clientId, decimal tokens) => _balances.AddOrUpdate(clientId, tokens, (_, b) => b + tokens);

    public decimal BalanceOf(string clientId) => _balances.GetValueOrDefault(clientId);
}
