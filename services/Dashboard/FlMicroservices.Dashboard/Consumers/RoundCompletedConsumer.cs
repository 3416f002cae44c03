using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Dashboard.Consumers;

/// <summary>Pushes each RoundCompleted to the open pages.</summary>
public sealed class RoundCompletedConsumer(LiveEvents live) : IConsumer<RoundCompleted>
{
    public Task Consume(ConsumeContext<RoundCompleted> context) => live.PublishAsync(context.Message.TaskId, context.Message);
}
