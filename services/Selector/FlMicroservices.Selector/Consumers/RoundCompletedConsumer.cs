using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Telemetry;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Selector.Consumers;

/// <summary>Starts the next round (or ends the task) when a round completes, as the model registry signed it.</summary>
public sealed class RoundCompletedConsumer(RoundStarter starter, TaskSchedule schedule, CommandSigning signing, TimeProvider clock, ILogger<RoundCompletedConsumer> logger)
    : IConsumer<RoundCompleted>
{
    public async Task Consume(ConsumeContext<RoundCompleted> context)
    {
        var completed = context.Message;
        if (signing.Refuses(completed, logger)) return;
        FlTelemetry.RoundEnded(completed);
        var entry = schedule.Find(completed.TaskId);
        if (entry is not null)
        {
            entry.RecordCompleted(completed);
            await entry.SaveAsync(context.CancellationToken);
        }
        // The model registry's rollback policy stopped the task (docs/model-lifecycle.md).
        if (completed.StopReason is { } stop && entry is not null)
        {
            await TaskCompletion.PublishAsync(context, entry, completed.TaskId, completed.Round, TaskModelState.Of(completed), stop, signing, clock, logger);
            return;
        }
        await starter.StartNextAsync(context, completed.TaskId, completed.Round + 1, TaskModelState.Of(completed), context.CancellationToken);
    }
}
