using FlMicroservices.Aggregation.SecAgg;
using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Takes a participant's secure-aggregation protocol message into its round.</summary>
public sealed class SecAggClientMessageConsumer(SecureAggregationRounds rounds) : IConsumer<SecAggClientMessage>
{
    public Task Consume(ConsumeContext<SecAggClientMessage> context) => rounds.OnClientMessageAsync(context.Message, context.CancellationToken);
}

/// <summary>Takes the completion message of a participant's masked update into its round.</summary>
public sealed class MaskedUpdateSubmittedConsumer(SecureAggregationRounds rounds) : IConsumer<MaskedUpdateSubmitted>
{
    public Task Consume(ConsumeContext<MaskedUpdateSubmitted> context) => rounds.OnMaskedUpdateAsync(context.Message, context.CancellationToken);
}
