using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Models;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.ModelRegistry;

/// <summary>The model registry's durable part: one document per task with its versions and what it has published.</summary>
public sealed class TaskModelsStore(IStateStore store)
{
    public const string Kind = "tasks";

    public Task<IReadOnlyList<TaskModelsDocument>> LoadAsync(CancellationToken cancellationToken) => store.ListAsync<TaskModelsDocument>(Kind, cancellationToken);

    public Task SaveAsync(TaskModelsDocument task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        return store.PutAsync(Kind, task.TaskId, task, cancellationToken);
    }
}

/// <summary>
/// A task's model history as stored: current and best (the rollback policy's history), latest, each round's candidate, the events
/// out, the rounds done, and the versions operators made current (null in documents written before promotions existed).
/// </summary>
public sealed record TaskModelsDocument(string TaskId, TaskSpec Spec, VersionHistory History, int LatestVersion,
    int[] RoundsDone, StoredCandidate[] RoundVersions, PublishedEvent[] Published, OperatorPromotion[]? Promotions = null, int? PendingPromotion = null);

/// <summary>An event of a round that went out (by type name).</summary>
public sealed record PublishedEvent(int Round, string Event);
