using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Selector.Consumers;

/// <summary>Remembers a new task the registry signed; its first round starts once its initial model is published.</summary>
public sealed class TaskCreatedConsumer(TaskSchedule schedule, RoundWatchdog watchdog, CommandSigning signing, ILogger<TaskCreatedConsumer> logger) : IConsumer<TaskCreated>
{
    public async Task Consume(ConsumeContext<TaskCreated> context)
    {
        if (signing.Refuses(context.Message, logger)) return;
        await schedule.AddAsync(context.Message.TaskId, context.Message.Spec, context.Message.CreatedAt, context.CancellationToken);
        watchdog.ArmStart(context.Message.TaskId, context.Message.CreatedAt);
    }
}
