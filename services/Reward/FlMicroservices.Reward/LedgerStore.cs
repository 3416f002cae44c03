using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Reward;

/// <summary>The reward ledger's durable part: one document per paid round; balances are the sums of its rewards.</summary>
public sealed class LedgerStore(IStateStore store)
{
    public const string Kind = "paid-rounds";

    public Task<IReadOnlyList<PaidRound>> LoadAsync(CancellationToken cancellationToken) => store.ListAsync<PaidRound>(Kind, cancellationToken);

    public Task SaveAsync(PaidRound round, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        return store.PutAsync(Kind, $"{round.TaskId}/{round.Round:D9}", round, cancellationToken);
    }
}

/// <summary>A round's credited rewards (each with the balance it left) and whether its RewardsIssued went out.</summary>
public sealed record PaidRound(string TaskId, int Round, ClientReward[] Rewards, bool Announced);
