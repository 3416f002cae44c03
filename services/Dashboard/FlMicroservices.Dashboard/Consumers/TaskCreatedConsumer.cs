using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Dashboard.Consumers;

/// <summary>Pushes each TaskCreated to the open pages.</summary>
public sealed class TaskCreatedConsumer(LiveEvents live) : IConsumer<TaskCreated>
{
    public Task Consume(ConsumeContext<TaskCreated> context) => live.PublishAsync(context.Message.TaskId, context.Message);
}
