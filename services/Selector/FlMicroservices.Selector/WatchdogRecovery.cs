using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Selector;

/// <summary>Once the schedule is restored, publishes what its outbox holds, arms the watchdogs a restarted selector lost and starts a resumed task's held round.</summary>
public sealed class WatchdogRecovery(TaskSchedule schedule, RoundWatchdog watchdog, HeldRoundRelease held, IBus bus, ILogger<WatchdogRecovery> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!schedule.IsRestored)
        {
            try { await schedule.RestoreAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception) { await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken); } // StateRestoration logs the failure
        }
        foreach (var entry in schedule.Entries.Where(e => e.HasPending))
            await PublishPendingAsync(entry, stoppingToken);
        foreach (var entry in schedule.Entries.Where(e => !e.IsCompleted))
        {
            if (entry.Running is { } running && running.Round == entry.LastStartedRound && !entry.HasOutcome(running.Round))
            {
                logger.LogInformation("Task {TaskId}: watching round {Round} again (deadline {Deadline})", entry.TaskId, running.Round, running.Deadline);
                watchdog.Arm(entry.TaskId, running.Round, running.ModelVersion, running.Deadline);
            }
            else if (held.Release(entry))
                logger.LogInformation("Task {TaskId}: starting the round a lifted pause held", entry.TaskId);
            else if (entry.LastStartedRound == 0 && entry.CreatedAt is { } created)
                watchdog.ArmStart(entry.TaskId, created);
        }
    }

    // A RoundStarted or TaskCompleted stored before the selector died and not yet out: published now, retried while the broker is away.
    private async Task PublishPendingAsync(TaskSchedule.Entry entry, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                logger.LogInformation("Task {TaskId}: publishing the events stored before the restart", entry.TaskId);
                await entry.PublishPendingAsync(bus, stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                logger.LogWarning(e, "Task {TaskId}: publishing its stored events failed; trying again", entry.TaskId);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }
}
