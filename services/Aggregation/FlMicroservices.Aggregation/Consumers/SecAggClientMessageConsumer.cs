using FlMicroservices.Aggregation.SecAgg;
using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Takes a participant's secure-aggregation protocol message into its round.</summary>
public sealed class SecAggClientMessageConsumer(SecureRoundHandOver secure) : IConsumer<SecAggClientMessage>
{
    public Task Consume(ConsumeContext<SecAggClientMessage> context) => secure.OnClientMessageAsync(context.Message, context.CancellationToken);
}
