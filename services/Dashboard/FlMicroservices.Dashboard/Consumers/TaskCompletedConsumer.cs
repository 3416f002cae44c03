using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Dashboard.Consumers;

/// <summary>Pushes each TaskCompleted the selector signed to the open pages; a forged one would tell operators a running task had ended.</summary>
public sealed class TaskCompletedConsumer(LiveEvents live, CommandSigning signing, ILogger<TaskCompletedConsumer> logger) : IConsumer<TaskCompleted>
{
    public Task Consume(ConsumeContext<TaskCompleted> context) =>
        signing.Refuses(context.Message, logger) ? Task.CompletedTask : live.PublishAsync(context.Message.TaskId, context.Message);
}
