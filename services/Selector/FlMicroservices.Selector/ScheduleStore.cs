using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Selector;

/// <summary>The selector's durable part: one document per task with its spec and round state.</summary>
public sealed class ScheduleStore(IStateStore store)
{
    public const string Kind = "tasks";

    public Task<IReadOnlyList<ScheduledTask>> LoadAsync(CancellationToken cancellationToken) => store.ListAsync<ScheduledTask>(Kind, cancellationToken);

    public Task SaveAsync(ScheduledTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        return store.PutAsync(Kind, task.TaskId, task, cancellationToken);
    }
}

/// <summary>
/// A task's schedule as stored: the last round started, whether it ended, each round's outcome, the DP denominator m, when the
/// task was created, the round under way (for the watchdogs a restarted selector arms again) and its outbox: the last
/// RoundStarted and the TaskCompleted with whether each went out.
/// </summary>
public sealed record ScheduledTask(string TaskId, TaskSpec Spec, int LastStartedRound, bool Completed, RoundOutcome[] Outcomes, double? ExpectedClients,
    DateTimeOffset? CreatedAt = null, RunningRound? Running = null, RoundStarted? Start = null, int StartPublished = 0,
    TaskCompleted? Completion = null, bool CompletionPublished = false);

/// <summary>A round announced by RoundStarted: its base model version and deadline.</summary>
public sealed record RunningRound(int Round, int ModelVersion, DateTimeOffset Deadline);

/// <summary>How a round ended: <see cref="FailureReason"/> is null when it succeeded.</summary>
public sealed record RoundOutcome(int Round, string? FailureReason);
