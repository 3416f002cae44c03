using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Selector;

/// <summary>Fails a round that nobody closes by its deadline plus <see cref="SelectorOptions.RoundGrace"/>, and ends its task with the reason.</summary>
public sealed class RoundWatchdog(TaskSchedule schedule, IBus bus, TimeProvider clock, IOptions<SelectorOptions> options, ILogger<RoundWatchdog> logger)
    : IDisposable
{
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1); // Task.Delay takes at most ~49 days
    private readonly ConcurrentDictionary<(string Task, int Round), byte> _armed = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Watches a started round (a redelivered start arms nothing new).</summary>
    public void Arm(RoundStarted started)
    {
        ArgumentNullException.ThrowIfNull(started);
        if (_armed.TryAdd((started.TaskId, started.Round), 0)) _ = WatchAsync(started);
    }

    /// <summary>Watches a new task: without a first round by <see cref="SelectorOptions.StartWait"/> (its initial model was never published), the task ends with the reason.</summary>
    public void ArmStart(TaskCreated created)
    {
        ArgumentNullException.ThrowIfNull(created);
        if (_armed.TryAdd((created.TaskId, 0), 0)) _ = WatchStartAsync(created.TaskId, created.CreatedAt + options.Value.StartWait);
    }

    private async Task WatchStartAsync(string taskId, DateTimeOffset due)
    {
        try
        {
            await UntilAsync(due);
            var entry = schedule.Find(taskId);
            if (entry is null || entry.IsCompleted || entry.LastStartedRound > 0) return;
            var reason = $"round 1 cannot start: no initial model version was published within {options.Value.StartWait.TotalSeconds:F0} s " +
                "of the task's creation (is the model-registry service running, and could it build the model? see its log)";
            logger.LogError("Task {TaskId}: {Reason}", taskId, reason);
            await TaskCompletion.PublishAsync(bus, entry, taskId, 0, new TaskModelState(0, null), reason, clock, logger);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            logger.LogError(e, "The start watchdog of task {Task} failed", taskId);
        }
    }

    private async Task UntilAsync(DateTimeOffset due)
    {
        for (var wait = due - clock.GetUtcNow(); wait > TimeSpan.Zero; wait = due - clock.GetUtcNow())
            await Task.Delay(wait < LongestWait ? wait : LongestWait, clock, _stopping.Token);
    }

    private async Task WatchAsync(RoundStarted started)
    {
        var grace = options.Value.RoundGrace;
        var due = started.Deadline + grace;
        try
        {
            await UntilAsync(due);
            var entry = schedule.Find(started.TaskId);
            if (entry is null || entry.IsCompleted || entry.HasOutcome(started.Round)) return;
            var reason = $"round {started.Round} was not closed by its deadline plus {grace.TotalSeconds:F0} s of grace " +
                "(no RoundCompleted: are the aggregation and model-registry services running?)";
            logger.LogError("Task {TaskId}: {Reason}", started.TaskId, reason);
            entry.RecordOutcome(started.Round, false, reason);
            await TaskCompletion.PublishAsync(bus, entry, started.TaskId, started.Round - 1, new TaskModelState(started.ModelVersion, null), reason, clock, logger);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            logger.LogError(e, "The watchdog of round {Task}/{Round} failed", started.TaskId, started.Round);
        }
        finally
        {
            _armed.TryRemove((started.TaskId, started.Round), out _);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }
}
