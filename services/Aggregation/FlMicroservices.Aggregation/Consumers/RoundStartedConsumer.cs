using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Opens the aggregation of a round that the selector started.</summary>
public sealed class RoundStartedConsumer(AggregationRounds rounds) : IConsumer<RoundStarted>
{
    public Task Consume(ConsumeContext<RoundStarted> context) => rounds.OpenAsync(context.Message, context.CancellationToken);
}
