using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Tells a client's round that it will not send, so the round stops waiting for it.</summary>
public sealed class UpdateDeclinedConsumer(UpdateRouter router) : IConsumer<UpdateDeclined>
{
    public Task Consume(ConsumeContext<UpdateDeclined> context) => router.OnDeclinedAsync(context.Message, context.CancellationToken);
}
