using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Dashboard.Consumers;

/// <summary>Pushes each TaskCreated the registry signed to the open pages; a forged one would show a task the registry never validated.</summary>
public sealed class TaskCreatedConsumer(LiveEvents live, CommandSigning signing, ILogger<TaskCreatedConsumer> logger) : IConsumer<TaskCreated>
{
    public Task Consume(ConsumeContext<TaskCreated> context) =>
        signing.Refuses(context.Message, logger) ? Task.CompletedTask : live.PublishAsync(context.Message.TaskId, context.Message);
}
