using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Aggregation;

/// <summary>Closes each plain round the registry opens (or restores) at its deadline, with the updates that arrived.</summary>
public sealed class RoundDeadlineService(
    RoundRegistry registry,
    RoundCloser closer,
    TimeProvider clock,
    ILogger<RoundDeadlineService> logger) : BackgroundService
{
    /// <summary>Waits until <paramref name="deadline"/> on <paramref name="clock"/> (Task.Delay takes at most ~49 days: a day at a time).</summary>
    public static async Task WaitUntilAsync(TimeProvider clock, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        for (var wait = deadline - clock.GetUtcNow(); wait > TimeSpan.Zero; wait = deadline - clock.GetUtcNow())
            await Task.Delay(wait < TimeSpan.FromDays(1) ? wait : TimeSpan.FromDays(1), clock, cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (key, deadline) in registry.Opened.ReadAllAsync(stoppingToken))
                _ = CloseAtDeadlineAsync(key, deadline, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private async Task CloseAtDeadlineAsync((string Task, int Round) key, DateTimeOffset deadline, CancellationToken stoppingToken)
    {
        try
        {
            await WaitUntilAsync(clock, deadline, stoppingToken);
            await closer.CloseAtDeadlineAsync(key, stoppingToken);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            logger.LogError(e, "Closing round {Task}/{Round} at its deadline failed", key.Task, key.Round);
        }
    }
}
