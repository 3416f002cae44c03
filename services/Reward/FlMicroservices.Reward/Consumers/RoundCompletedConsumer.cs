using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Contribution;
using MassTransit;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Reward.Consumers;

/// <summary>Scores a completed round's contributors and credits their tokens.</summary>
public sealed class RoundCompletedConsumer(TokenLedger ledger, IOptions<RewardOptions> options) : IConsumer<RoundCompleted>
{
    public async Task Consume(ConsumeContext<RoundCompleted> context)
    {
        var round = context.Message;
        if (!ledger.TryMarkPaid(round.TaskId, round.Round)) return;
        var contributors = round.Succeeded && !round.RolledBack ? round.Contributors : [];
        var scores = DataShareScorer.Score(contributors.Select(c => c.ExampleCount).ToArray());
        var pool = options.Value.TokensPerRound;
        var rewards = new ClientReward[contributors.Length];
        for (var i = 0; i < rewards.Length; i++)
        {
            var tokens = decimal.Round(pool * (decimal)scores[i], 6);
            rewards[i] = new ClientReward(contributors[i].ClientId, scores[i], tokens, ledger.Credit(contributors[i].ClientId, tokens));
        }
        await context.Publish(new RewardsIssued(round.TaskId, round.Round, rewards, rewards.Sum(r => r.Tokens)));
    }
}
