using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Dashboard.Views;

/// <summary>One page of a list as the operator API returns it.</summary>
public sealed record ApiPage<T>(int Total, int Offset, int Limit, T[] Items);

/// <summary>A task's summary (GET /api/tasks).</summary>
public sealed record TaskSummaryView(string TaskId, string State, DateTimeOffset? CreatedAt, string ModelName, string Strategy, int Rounds, int LastStartedRound,
    int RoundsEnded, int FailedRounds, int? HeldRound, int? ModelVersion, double? Accuracy, int? BestModelVersion, double? BestAccuracy, string? EndReason,
    DateTimeOffset? CompletedAt)
{
    public bool Ended => State is "Completed" or "Failed" or "Cancelled";
}

/// <summary>A task's summary with its spec (GET /api/tasks/{id}).</summary>
public sealed record TaskDetailView(TaskSummaryView Task, TaskSpec Spec);

/// <summary>One round as the selector keeps it (GET /api/tasks/{id}/rounds).</summary>
public sealed record RoundView(string TaskId, int Round, int? ModelVersion, DateTimeOffset? StartedAt, DateTimeOffset? Deadline, string[]? Participants,
    DateTimeOffset? CompletedAt, bool? Succeeded, string? FailureReason, int? ResultVersion, bool RolledBack, double? Accuracy, double? Loss,
    Contribution[]? Contributors, RejectedUpdate[]? Rejected, string[]? Dropouts)
{
    /// <summary>Seconds from start to completion, when both are known.</summary>
    public double? Seconds => StartedAt is { } s && CompletedAt is { } c ? (c - s).TotalSeconds : null;

    /// <summary>The round as its RoundCompleted event tells it, over what was known of it.</summary>
    public static RoundView From(RoundCompleted e, RoundView? known) => new(e.TaskId, e.Round, known?.ModelVersion, known?.StartedAt, known?.Deadline,
        e.Participants, e.CompletedAt, e.Succeeded, e.FailureReason, e.Succeeded ? e.ModelVersion : null, e.RolledBack, e.Accuracy, e.Loss,
        e.Contributors, e.Rejected, e.Dropouts);
}
