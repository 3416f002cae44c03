using System.Collections.Concurrent;

namespace FlMicroservices.Reward;

/// <summary>Token balances per client, credited once per (task, round) so a redelivered event pays nothing twice.</summary>
public sealed class TokenLedger
{
    private readonly ConcurrentDictionary<string, decimal> _balances = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Task, int Round), bool> _paid = new();

    public bool TryMarkPaid(string taskId, int round) => _paid.TryAdd((taskId, round), true);

    public decimal Credit(string clientId, decimal tokens) => _balances.AddOrUpdate(clientId, tokens, (_, b) => b + tokens);

    public decimal BalanceOf(string clientId) => _balances.GetValueOrDefault(clientId);
}
