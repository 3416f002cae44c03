using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Coordinator: a shard's report of its part of a round (other shards ignore it).</summary>
public sealed class ShardRoundReportedConsumer(AggregationRounds rounds) : IConsumer<ShardRoundReported>
{
    public Task Consume(ConsumeContext<ShardRoundReported> context) => rounds.OnShardReportedAsync(context.Message, context.CancellationToken);
}

/// <summary>Every shard: the coordinator's decision for a round.</summary>
public sealed class ShardRoundDecidedConsumer(AggregationRounds rounds) : IConsumer<ShardRoundDecided>
{
    public Task Consume(ConsumeContext<ShardRoundDecided> context) => rounds.OnShardDecidedAsync(context.Message, context.CancellationToken);
}

/// <summary>Coordinator: a shard's slices of the next model (other shards ignore it).</summary>
public sealed class ShardRoundFinishedConsumer(AggregationRounds rounds) : IConsumer<ShardRoundFinished>
{
    public Task Consume(ConsumeContext<ShardRoundFinished> context) => rounds.OnShardFinishedAsync(context.Message, context.CancellationToken);
}
