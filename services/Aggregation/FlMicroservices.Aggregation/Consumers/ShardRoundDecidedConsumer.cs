using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Every shard: the coordinator's decision for a round.</summary>
public sealed class ShardRoundDecidedConsumer(ShardedRounds shards) : IConsumer<ShardRoundDecided>
{
    public Task Consume(ConsumeContext<ShardRoundDecided> context) => shards.OnDecidedAsync(context.Message, context.CancellationToken);
}
