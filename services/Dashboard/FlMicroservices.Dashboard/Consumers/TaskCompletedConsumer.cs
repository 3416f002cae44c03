using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Dashboard.Consumers;

/// <summary>Pushes each TaskCompleted to the open pages.</summary>
public sealed class TaskCompletedConsumer(LiveEvents live) : IConsumer<TaskCompleted>
{
    public Task Consume(ConsumeContext<TaskCompleted> context) => live.PublishAsync(context.Message.TaskId, context.Message);
}
