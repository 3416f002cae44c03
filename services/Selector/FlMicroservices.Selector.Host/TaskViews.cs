using FlMicroservices.Contracts.V1;
using FlMicroservices.Selector;

namespace FlMicroservices.Selector.Host;

/// <summary>A task's state as operators see it, derived from the selector's schedule.</summary>
public static class TaskStates
{
    public const string Created = "Created", Running = "Running", Paused = "Paused", Completed = "Completed", Failed = "Failed", Cancelled = "Cancelled";
    public static readonly string[] All = [Created, Running, Paused, Completed, Failed, Cancelled];

    /// <summary>Cancelled, Completed or Failed once ended; Paused; Running once a round started; else Created (waiting for its initial model).</summary>
    public static string Of(TaskSchedule.Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Completion is { } end) return end.Reason == TaskCompletion.CancelledByOperator ? Cancelled : end.Succeeded ? Completed : Failed;
        if (entry.IsCompleted) return Failed;
        if (entry.IsPaused) return Paused;
        return entry.LastStartedRound > 0 ? Running : Created;
    }
}

/// <summary>A task's summary: its state, progress, model and how it ended.</summary>
public sealed record TaskSummary(string TaskId, string State, DateTimeOffset? CreatedAt, string ModelName, string Strategy, int Rounds, int LastStartedRound,
    int RoundsEnded, int FailedRounds, int? HeldRound, int? ModelVersion, double? Accuracy, int? BestModelVersion, double? BestAccuracy, string? EndReason,
    DateTimeOffset? CompletedAt)
{
    public static TaskSummary Of(TaskSchedule.Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var model = entry.Model;
        var end = entry.Completion;
        return new(entry.TaskId, TaskStates.Of(entry), entry.CreatedAt, entry.Spec.ModelName, entry.Spec.Strategy, entry.Spec.Rounds, entry.LastStartedRound,
            entry.RoundsEnded, entry.FailedRounds().Count, entry.HeldRound, model?.Version, model?.Accuracy, model?.BestVersion, model?.BestAccuracy,
            end?.Reason, end?.CompletedAt);
    }
}

/// <summary>A task's summary with its full spec.</summary>
public sealed record TaskDetail(TaskSummary Task, TaskSpec Spec);
