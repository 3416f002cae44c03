using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Every shard: the coordinator's decision for a round, only as an aggregation instance signed it.</summary>
public sealed class ShardRoundDecidedConsumer(ShardedRounds shards, CommandSigning signing, ILogger<ShardRoundDecidedConsumer> logger) : IConsumer<ShardRoundDecided>
{
    // A forged decision would take clients' slices out of every shard, or select whom the strategy never chose.
    public Task Consume(ConsumeContext<ShardRoundDecided> context) =>
        signing.Refuses(context.Message, logger) ? Task.CompletedTask : shards.OnDecidedAsync(context.Message, context.CancellationToken);
}
