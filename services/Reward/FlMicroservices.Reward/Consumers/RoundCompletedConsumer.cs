using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Contribution;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Reward.Consumers;

/// <summary>Scores a completed round's aggregated contributors, credits their tokens once (stored first) and publishes RewardsIssued (signed) once; only for a round the model registry signed.</summary>
public sealed class RoundCompletedConsumer(TokenLedger ledger, IOptions<RewardOptions> options, CommandSigning signing, ILogger<RoundCompletedConsumer> logger)
    : IConsumer<RoundCompleted>
{
    public async Task Consume(ConsumeContext<RoundCompleted> context)
    {
        var round = context.Message;
        if (signing.Refuses(round, logger) || ledger.IsAnnounced(round.TaskId, round.Round)) return;
        // Only what went into the model is paid: not a rolled-back round, not updates a robust strategy left out.
        var contributors = round.Succeeded && !round.RolledBack ? round.Contributors.Where(c => c.Aggregated).ToArray() : [];
        var scores = DataShareScorer.Score(contributors.Select(c => c.ExampleCount).ToArray());
        var pool = options.Value.TokensPerRound;
        var rewards = await ledger.PayOnceAsync(round.TaskId, round.Round,
            contributors.Select((c, i) => (c.ClientId, scores[i], decimal.Round(pool * (decimal)scores[i], 6))).ToArray(), context.CancellationToken);
        await context.PublishStableAsync(signing.Sign(new RewardsIssued(round.TaskId, round.Round, rewards.ToArray(), rewards.Sum(r => r.Tokens))), round.TaskId,
            round.Round, context.CancellationToken);
        await ledger.MarkAnnouncedAsync(round.TaskId, round.Round, context.CancellationToken);
    }
}
