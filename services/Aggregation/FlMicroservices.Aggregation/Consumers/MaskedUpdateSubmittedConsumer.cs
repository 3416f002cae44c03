using FlMicroservices.Aggregation.SecAgg;
using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Takes the completion message of a participant's masked update into its round.</summary>
public sealed class MaskedUpdateSubmittedConsumer(SecureRoundHandOver secure) : IConsumer<MaskedUpdateSubmitted>
{
    public Task Consume(ConsumeContext<MaskedUpdateSubmitted> context) => secure.OnMaskedUpdateAsync(context.Message, context.CancellationToken);
}
