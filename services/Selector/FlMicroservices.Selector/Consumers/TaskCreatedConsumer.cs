using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Selector.Consumers;

/// <summary>Remembers a new task; its first round starts once its initial model is published.</summary>
public sealed class TaskCreatedConsumer(TaskSchedule schedule, RoundWatchdog watchdog) : IConsumer<TaskCreated>
{
    public async Task Consume(ConsumeContext<TaskCreated> context)
    {
        await schedule.AddAsync(context.Message.TaskId, context.Message.Spec, context.Message.CreatedAt, context.CancellationToken);
        watchdog.ArmStart(context.Message.TaskId, context.Message.CreatedAt);
    }
}
