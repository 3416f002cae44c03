using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Selector;

/// <summary>Ends a task once: stores and publishes <see cref="TaskCompleted"/>, which succeeds only when no round failed and the end was planned.</summary>
public static class TaskCompletion
{
    public const string AllRoundsCompleted = "all rounds completed";
    public const string CancelledByOperator = "cancelled by operator";

    /// <summary>Reasons that end a task as planned (with every round succeeded, the task succeeded).</summary>
    private static readonly string[] PlannedEnds = [AllRoundsCompleted, "privacy budget:"];

    /// <summary>"all rounds completed" when every round succeeded; otherwise how many failed and the first failure.</summary>
    public static string AllRoundsReason(TaskSchedule.Entry entry, int rounds)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var failed = entry.FailedRounds();
        return failed.Count == 0 ? AllRoundsCompleted
            : $"{rounds} rounds ran, {failed.Count} failed (round {failed[0].Round}: {failed[0].Reason})";
    }

    public static async Task PublishAsync(IPublishEndpoint publish, TaskSchedule.Entry entry, string taskId, int rounds, TaskModelState model,
        string reason, CommandSigning signing, TimeProvider clock, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(publish);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(signing);
        ArgumentNullException.ThrowIfNull(clock);
        var failed = entry.FailedRounds().Count;
        var succeeded = failed == 0 && PlannedEnds.Any(p => reason.StartsWith(p, StringComparison.Ordinal));
        // Signed (in deployments with per-process broker accounts) before it is stored, so a retry publishes the same signed message.
        var completion = signing.Sign(new TaskCompleted(taskId, rounds, model.Version, model.Accuracy, reason, clock.GetUtcNow(), succeeded, failed,
            model.BestVersion, model.BestAccuracy));
        if (entry.TryComplete(completion))
        {
            if (succeeded) logger.LogInformation("Task {TaskId} completed after {Rounds} rounds: {Reason}", taskId, rounds, reason);
            else logger.LogWarning("Task {TaskId} failed after {Rounds} rounds ({Failed} failed): {Reason}", taskId, rounds, failed, reason);
        }
        // Stored before it goes out (a restarted selector does not start the task again); a retry publishes one a failure left pending.
        await entry.PublishPendingAsync(publish, CancellationToken.None);
    }
}

/// <summary>The task's model as the last event reported it: the current version and the best validated one (docs/model-lifecycle.md).</summary>
public readonly record struct TaskModelState(int Version, double? Accuracy, int? BestVersion = null, double? BestAccuracy = null)
{
    public static TaskModelState Of(RoundCompleted completed) =>
        new(completed.ModelVersion, completed.Accuracy, completed.BestModelVersion, completed.BestAccuracy);
}
