using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Coordinator: a shard's report of its part of a round (other shards ignore it), only as an aggregation instance signed it.</summary>
public sealed class ShardRoundReportedConsumer(ShardedRounds shards, CommandSigning signing, ILogger<ShardRoundReportedConsumer> logger) : IConsumer<ShardRoundReported>
{
    // A forged report would reject clients, or stand in for a shard's part of the round, in the coordinator's decision.
    public Task Consume(ConsumeContext<ShardRoundReported> context) =>
        signing.Refuses(context.Message, logger) ? Task.CompletedTask : shards.OnReportedAsync(context.Message, context.CancellationToken);
}
