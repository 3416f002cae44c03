using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.ModelRegistry.Consumers;

/// <summary>Validates and stores the aggregate of a round the aggregation signed, then announces <see cref="RoundCompleted"/>.</summary>
public sealed class RoundAggregatedConsumer(ModelPublisher publisher, CommandSigning signing, ILogger<RoundAggregatedConsumer> logger) : IConsumer<RoundAggregated>
{
    public Task Consume(ConsumeContext<RoundAggregated> context) =>
        signing.Refuses(context.Message, logger) ? Task.CompletedTask : publisher.PublishRoundAsync(context.Message, context, context.CancellationToken);
}
