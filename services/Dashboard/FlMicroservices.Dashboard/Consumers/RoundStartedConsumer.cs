using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Dashboard.Consumers;

/// <summary>Pushes each RoundStarted to the open pages.</summary>
public sealed class RoundStartedConsumer(LiveEvents live) : IConsumer<RoundStarted>
{
    public Task Consume(ConsumeContext<RoundStarted> context) => live.PublishAsync(context.Message.TaskId, context.Message);
}
