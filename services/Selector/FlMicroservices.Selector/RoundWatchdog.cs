using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Selector;

/// <summary>Fails a round that nobody closes by its deadline plus <see cref="SelectorOptions.RoundGrace"/>, and ends its task with the reason.</summary>
public sealed class RoundWatchdog(TaskSchedule schedule, IBus bus, CommandSigning signing, TimeProvider clock, IOptions<SelectorOptions> options,
    ILogger<RoundWatchdog> logger)
    : IDisposable
{
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1); // Task.Delay takes at most ~49 days
    private readonly ConcurrentDictionary<(string Task, int Round), byte> _armed = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Watches a started round (a redelivered start arms nothing new).</summary>
    public void Arm(string taskId, int round, int modelVersion, DateTimeOffset deadline)
    {
        if (_armed.TryAdd((taskId, round), 0)) _ = WatchAsync(taskId, round, modelVersion, deadline);
    }

    /// <summary>Watches a new task: without a first round by <see cref="SelectorOptions.StartWait"/> (its initial model was never published), the task ends with the reason.</summary>
    public void ArmStart(string taskId, DateTimeOffset createdAt)
    {
        if (_armed.TryAdd((taskId, 0), 0)) _ = WatchStartAsync(taskId, createdAt + options.Value.StartWait);
    }

    private async Task WatchStartAsync(string taskId, DateTimeOffset due)
    {
        try
        {
            await UntilAsync(due);
            var entry = schedule.Find(taskId);
            if (entry is null || entry.IsCompleted || entry.LastStartedRound > 0 || entry.HeldRound is not null) return; // a held round 1 had its model
            var reason = $"round 1 cannot start: no initial model version was published within {options.Value.StartWait.TotalSeconds:F0} s " +
                "of the task's creation (is the model-registry service running, and could it build the model? see its log)";
            logger.LogError("Task {TaskId}: {Reason}", taskId, reason);
            await TaskCompletion.PublishAsync(bus, entry, taskId, 0, new TaskModelState(0, null), reason, signing, clock, logger);
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

    private async Task WatchAsync(string taskId, int round, int modelVersion, DateTimeOffset deadline)
    {
        var grace = options.Value.RoundGrace;
        var due = deadline + grace;
        try
        {
            await UntilAsync(due);
            var entry = schedule.Find(taskId);
            if (entry is null || entry.IsCompleted || entry.HasOutcome(round)) return;
            var reason = $"round {round} was not closed by its deadline plus {grace.TotalSeconds:F0} s of grace " +
                "(no RoundCompleted: are the aggregation and model-registry services running?)";
            logger.LogError("Task {TaskId}: {Reason}", taskId, reason);
            entry.RecordOutcome(round, false, reason);
            await TaskCompletion.PublishAsync(bus, entry, taskId, round - 1, new TaskModelState(modelVersion, null), reason, signing, clock, logger);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            logger.LogError(e, "The watchdog of round {Task}/{Round} failed", taskId, round);
        }
        finally
        {
            _armed.TryRemove((taskId, round), out _);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }
}
