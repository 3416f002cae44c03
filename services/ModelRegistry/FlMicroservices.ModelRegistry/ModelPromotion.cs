using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Models;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.ModelRegistry;

/// <summary>Makes a stored version current by an operator's hand, durably, so that the next round trains from it (docs/model-lifecycle.md).</summary>
public sealed class ModelPromotion(TaskModels tasks, IModelStore store, TimeProvider clock, ILogger<ModelPromotion> logger)
{
    public const string Promote = "promote";
    public const string Rollback = "rollback";

    /// <summary>
    /// Makes <paramref name="target"/> current and records who did it; a round already under way from another version keeps its
    /// candidate as a version, but the task continues from <paramref name="target"/>. Nothing changes when it is current already.
    /// </summary>
    public async Task<PromotionResult> ApplyAsync(TaskModels.Entry entry, ModelVersionInfo target, string kind, string? reason, IPublishEndpoint publish,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(publish);
        await entry.Gate.WaitAsync(cancellationToken);
        try
        {
            var previous = await store.GetCurrentVersionAsync(entry.TaskId, cancellationToken) ?? entry.CurrentVersion;
            if (previous == target.Version && (entry.PendingPromotion ?? target.Version) == target.Version)
                return new PromotionResult(entry.TaskId, target.Version, previous, kind, false, null);
            var record = new OperatorPromotion(entry.Promotions.Count + 1, target.Version, previous, kind, reason, entry.RoundsDone.DefaultIfEmpty(0).Max(),
                clock.GetUtcNow());
            entry.History = entry.History with { Current = target.Version, CurrentAccuracy = target.Accuracy, Degradations = 0, RollbacksInARow = 0 };
            entry.PendingPromotion = target.Version;
            entry.Promotions.Add(record);
            await store.SetCurrentVersionAsync(entry.TaskId, target.Version, cancellationToken);
            await tasks.SaveAsync(entry, cancellationToken); // durable before anyone hears of it
            logger.LogInformation("Task {Task}: version {Version} made current by an operator ({Kind}; was {Previous})", entry.TaskId, target.Version, kind, previous);
            await publish.PublishStableAsync(new ModelVersionPromoted(entry.TaskId, target.Version, previous, kind, reason, target.Accuracy, record.Sequence, record.At),
                entry.TaskId, record.Sequence, cancellationToken); // the id repeats the (task, sequence)
            return new PromotionResult(entry.TaskId, target.Version, previous, kind, true, record);
        }
        finally { entry.Gate.Release(); }
    }

    /// <summary>
    /// The policy's decision for a candidate trained from a version other than the one an operator promoted since: the candidate
    /// stays a version (and may become the best), but the task continues from the promoted version, and never stops for it.
    /// </summary>
    public static RollbackDecision Override(RollbackDecision decision, int candidate, int trainedFrom, int promoted, double? promotedAccuracy)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var outcome = decision.Outcome == CandidateOutcome.Stop ? CandidateOutcome.RolledBack : decision.Outcome;
        return new RollbackDecision(outcome, promoted,
            decision.Next with { Current = promoted, CurrentAccuracy = promotedAccuracy, Degradations = 0, RollbacksInARow = 0 },
            $"version {candidate} was trained from version {trainedFrom} before an operator made version {promoted} current: the task continues from version {promoted}");
    }
}

/// <summary>What a promote or roll back did: <see cref="Changed"/> is false when the version was current already.</summary>
public sealed record PromotionResult(string TaskId, int Version, int PreviousVersion, string Kind, bool Changed, OperatorPromotion? Record);

/// <summary>A version made current by an operator: which, from which, how, why, after which round, and when (kept in the task's document).</summary>
public sealed record OperatorPromotion(int Sequence, int Version, int FromVersion, string Kind, string? Reason, int AfterRound, DateTimeOffset At);
