using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Coordinator: a shard's slices of the next model (other shards ignore it).</summary>
public sealed class ShardRoundFinishedConsumer(ShardedRounds shards) : IConsumer<ShardRoundFinished>
{
    public Task Consume(ConsumeContext<ShardRoundFinished> context) => shards.OnFinishedAsync(context.Message, context.CancellationToken);
}
