using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Takes a client's update manifest into its round.</summary>
public sealed class UpdateSubmittedConsumer(UpdateRouter router) : IConsumer<UpdateSubmitted>
{
    public Task Consume(ConsumeContext<UpdateSubmitted> context) => router.OnManifestAsync(context.Message, context.CancellationToken);
}
