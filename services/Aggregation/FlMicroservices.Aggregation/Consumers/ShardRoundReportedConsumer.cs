using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Coordinator: a shard's report of its part of a round (other shards ignore it).</summary>
public sealed class ShardRoundReportedConsumer(ShardedRounds shards) : IConsumer<ShardRoundReported>
{
    public Task Consume(ConsumeContext<ShardRoundReported> context) => shards.OnReportedAsync(context.Message, context.CancellationToken);
}
