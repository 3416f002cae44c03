using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Selector;

/// <summary>Once the schedule is restored, arms the watchdogs a restarted selector lost: of each open task's running round, or its start.</summary>
public sealed class WatchdogRecovery(TaskSchedule schedule, RoundWatchdog watchdog, ILogger<WatchdogRecovery> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!schedule.IsRestored)
        {
            try { await schedule.RestoreAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception) { await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken); } // StateRestoration logs the failure
        }
        foreach (var entry in schedule.Entries.Where(e => !e.IsCompleted))
        {
            if (entry.Running is { } running && running.Round == entry.LastStartedRound && !entry.HasOutcome(running.Round))
            {
                logger.LogInformation("Task {TaskId}: watching round {Round} again (deadline {Deadline})", entry.TaskId, running.Round, running.Deadline);
                watchdog.Arm(entry.TaskId, running.Round, running.ModelVersion, running.Deadline);
            }
            else if (entry.LastStartedRound == 0 && entry.CreatedAt is { } created)
                watchdog.ArmStart(entry.TaskId, created);
        }
    }
}
