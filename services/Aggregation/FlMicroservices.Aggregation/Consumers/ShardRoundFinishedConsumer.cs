using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Coordinator: a shard's slices of the next model (other shards ignore it), only as an aggregation instance signed it.</summary>
public sealed class ShardRoundFinishedConsumer(ShardedRounds shards, CommandSigning signing, ILogger<ShardRoundFinishedConsumer> logger) : IConsumer<ShardRoundFinished>
{
    // Forged slices would become part of the next model.
    public Task Consume(ConsumeContext<ShardRoundFinished> context) =>
        signing.Refuses(context.Message, logger) ? Task.CompletedTask : shards.OnFinishedAsync(context.Message, context.CancellationToken);
}
