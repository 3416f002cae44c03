using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Selector.Consumers;

/// <summary>Records the round under way (so a restarted selector watches it again, and for its history) and arms its watchdog.</summary>
public sealed class RoundStartedConsumer(TaskSchedule schedule, RoundWatchdog watchdog) : IConsumer<RoundStarted>
{
    public async Task Consume(ConsumeContext<RoundStarted> context)
    {
        var started = context.Message;
        if (schedule.Find(started.TaskId) is { } entry)
        {
            entry.RecordRunning(new RunningRound(started.Round, started.ModelVersion, started.Deadline));
            entry.RecordStarted(started, started.Deadline - entry.Spec.RoundTimeout); // the deadline is the start plus the task's round timeout
            await entry.SaveAsync(context.CancellationToken);
        }
        watchdog.Arm(started.TaskId, started.Round, started.ModelVersion, started.Deadline);
    }
}
