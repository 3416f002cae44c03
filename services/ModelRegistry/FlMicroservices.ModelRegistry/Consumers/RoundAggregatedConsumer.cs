using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.ModelRegistry.Consumers;

/// <summary>Validates and stores a round's aggregate, then announces <see cref="RoundCompleted"/>.</summary>
public sealed class RoundAggregatedConsumer(ModelPublisher publisher) : IConsumer<RoundAggregated>
{
    public Task Consume(ConsumeContext<RoundAggregated> context) => publisher.PublishRoundAsync(context.Message, context, context.CancellationToken);
}
