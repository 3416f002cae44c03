using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Selector;

/// <summary>The selector's durable part: one document per task with its spec and round state, and one per round with its history.</summary>
public sealed class ScheduleStore(IStateStore store)
{
    public const string Kind = "tasks";
    public const string RoundsKind = "rounds";

    public Task<IReadOnlyList<ScheduledTask>> LoadAsync(CancellationToken cancellationToken) => store.ListAsync<ScheduledTask>(Kind, cancellationToken);

    public Task SaveAsync(ScheduledTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        return store.PutAsync(Kind, task.TaskId, task, cancellationToken);
    }

    public Task<IReadOnlyList<RoundRecord>> LoadRoundsAsync(CancellationToken cancellationToken) => store.ListAsync<RoundRecord>(RoundsKind, cancellationToken);

    public Task SaveRoundAsync(RoundRecord round, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        return store.PutAsync(RoundsKind, FormattableString.Invariant($"{round.TaskId}/{round.Round:D6}"), round, cancellationToken);
    }
}

/// <summary>
/// A task's schedule as stored: the last round started, whether it ended, each round's outcome, the DP denominator m, when the
/// task was created, the round under way (for the watchdogs a restarted selector arms again) and its outbox: the last
/// RoundStarted and the TaskCompleted with whether each went out; whether an operator paused it, the round held back by the
/// pause, and the task's model as last reported.
/// </summary>
public sealed record ScheduledTask(string TaskId, TaskSpec Spec, int LastStartedRound, bool Completed, RoundOutcome[] Outcomes, double? ExpectedClients,
    DateTimeOffset? CreatedAt = null, RunningRound? Running = null, RoundStarted? Start = null, int StartPublished = 0,
    TaskCompleted? Completion = null, bool CompletionPublished = false, bool Paused = false, int? HeldRound = null, TaskModelState? Model = null);

/// <summary>A round announced by RoundStarted: its base model version and deadline.</summary>
public sealed record RunningRound(int Round, int ModelVersion, DateTimeOffset Deadline);

/// <summary>How a round ended: <see cref="FailureReason"/> is null when it succeeded.</summary>
public sealed record RoundOutcome(int Round, string? FailureReason);

/// <summary>
/// One round's history for operators (from RoundStarted and RoundCompleted, or the watchdog's failure): null fields are not known
/// yet (a round under way has no completion; a completion seen before its start has no start time).
/// </summary>
public sealed record RoundRecord(string TaskId, int Round, int? ModelVersion = null, DateTimeOffset? StartedAt = null, DateTimeOffset? Deadline = null,
    string[]? Participants = null, DateTimeOffset? CompletedAt = null, bool? Succeeded = null, string? FailureReason = null, int? ResultVersion = null,
    bool RolledBack = false, double? Accuracy = null, double? Loss = null, Contribution[]? Contributors = null, RejectedUpdate[]? Rejected = null,
    string[]? Dropouts = null, DeclinedUpdate[]? Declined = null);
