using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Opens the aggregation of a round that the selector started.</summary>
public sealed class RoundStartedConsumer(RoundOpener opener) : IConsumer<RoundStarted>
{
    public Task Consume(ConsumeContext<RoundStarted> context) => opener.OpenAsync(context.Message, context.CancellationToken);
}
