using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Telemetry;
using MassTransit;

namespace FlMicroservices.Selector.Consumers;

/// <summary>Starts the next round (or ends the task) when a round completes.</summary>
public sealed class RoundCompletedConsumer(RoundStarter starter, TaskSchedule schedule) : IConsumer<RoundCompleted>
{
    public Task Consume(ConsumeContext<RoundCompleted> context)
    {
        var completed = context.Message;
        FlTelemetry.RoundEnded(completed);
        schedule.Find(completed.TaskId)?.RecordOutcome(completed.Round, completed.Succeeded, completed.FailureReason);
        return starter.StartNextAsync(context, completed.TaskId, completed.Round + 1, completed.ModelVersion, completed.Accuracy, context.CancellationToken);
    }
}
