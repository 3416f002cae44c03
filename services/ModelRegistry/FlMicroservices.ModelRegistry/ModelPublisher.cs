using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Models;
using FlMicroservices.Core.Planning;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Telemetry;
using FlMicroservices.ModelRegistry.Validation;
using FlMicroservices.Training;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.ModelRegistry;

/// <summary>Creates initial models, validates round candidates, stores versions, rolls back, publishes the outcome.</summary>
public sealed class ModelPublisher(TaskModels tasks, IModelStore store, ValidationSets validation, CommandSigning signing, TimeProvider clock,
    ILogger<ModelPublisher> logger)
{
    public async Task CreateInitialAsync(TaskCreated created, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        var entry = tasks.GetOrAdd(created.TaskId, created.Spec);
        await entry.Gate.WaitAsync(cancellationToken);
        try
        {
            var existing = await store.GetVersionAsync(created.TaskId, 0, cancellationToken);
            if (existing is null)
            {
                var spec = created.Spec;
                // A model with control variates (SCAFFOLD's [x ; c]) starts with them at zero.
                var weights = ModelLayout.Of(spec).InitialModel(
                    ModelFactory.InitialParameters(spec.ModelName, spec.SampleShape, spec.ClassCount, spec.Seed));
                var (accuracy, loss, _) = Evaluate(created.TaskId, entry, weights);
                existing = new ModelVersionInfo(created.TaskId, 0, 0, null, weights.Length, WeightsFile.Digest(weights), accuracy, loss, false, clock.GetUtcNow());
                await store.SaveVersionAsync(existing, weights, cancellationToken);
                await store.SetCurrentVersionAsync(created.TaskId, 0, cancellationToken);
            }
            if (entry.LatestVersion == 0) entry.History = VersionHistory.Initial(0, existing.Accuracy);
            await tasks.SaveAsync(entry, cancellationToken);
            await publish.PublishStableAsync(signing.Sign(new ModelVersionPublished(created.TaskId, 0, 0, null, existing.ParameterCount, existing.Digest,
                existing.Accuracy, existing.Loss, false)), created.TaskId, 0, cancellationToken);
        }
        finally { entry.Gate.Release(); }
    }

    /// <summary>Validates and stores a round's candidate and publishes ModelVersionPublished and RoundCompleted once each, however often it is retried.</summary>
    /// <remarks>A round is marked done only after both events are out; each has a message id derived from task and round (docs/events.md, "Delivery").</remarks>
    public async Task PublishRoundAsync(RoundAggregated aggregated, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        var entry = tasks.Find(aggregated.TaskId) ?? throw new InvalidOperationException($"Model registry has not seen TaskCreated for task '{aggregated.TaskId}'.");
        await entry.Gate.WaitAsync(cancellationToken);
        try
        {
            if (entry.RoundsDone.Contains(aggregated.Round)) return; // redelivered after both events went out
            using var span = FlTelemetry.StartStep("model-registry publish round", aggregated.TaskId, aggregated.Round);
            var participants = aggregated.Contributors.Select(c => c.ClientId)
                .Concat(aggregated.Rejected.Select(r => r.ClientId)).Concat(aggregated.Dropouts)
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            if (!aggregated.Succeeded || aggregated.AggregateRef is null)
            {
                var current = await store.GetVersionAsync(aggregated.TaskId, entry.CurrentVersion, cancellationToken);
                await PublishOnceAsync(entry, aggregated, signing.Sign(new RoundCompleted(aggregated.TaskId, aggregated.Round, entry.CurrentVersion, false, false,
                    current?.Accuracy, current?.Loss, participants, aggregated.Contributors, aggregated.Rejected, aggregated.Dropouts,
                    aggregated.FailureReason ?? "round failed", clock.GetUtcNow(), current?.Accuracy is not null,
                    current?.Accuracy is null ? NotEvaluatedReason(aggregated.TaskId, entry) : null,
                    entry.History.Best, entry.History.BestAccuracy, Declined: aggregated.Declined)), publish, cancellationToken);
                entry.RoundsDone.Add(aggregated.Round);
                await tasks.SaveAsync(entry, cancellationToken);
                return;
            }

            var (candidate, notEvaluated) = entry.RoundVersions.TryGetValue(aggregated.Round, out var stored)
                ? (stored, NotEvaluatedReason(aggregated.TaskId, entry))
                : await StoreCandidateAsync(aggregated, entry, cancellationToken);
            var (info, decision) = (candidate.Info, candidate.Decision);
            await PublishOnceAsync(entry, aggregated, signing.Sign(new ModelVersionPublished(aggregated.TaskId, info.Version, aggregated.Round, aggregated.BaseModelVersion,
                info.ParameterCount, info.Digest, info.Accuracy, info.Loss, info.RolledBack)), publish, cancellationToken);
            var currentInfo = decision.ContinueFrom == info.Version ? info : await store.GetVersionAsync(aggregated.TaskId, decision.ContinueFrom, cancellationToken);
            await PublishOnceAsync(entry, aggregated, signing.Sign(new RoundCompleted(aggregated.TaskId, aggregated.Round, decision.ContinueFrom, true, info.RolledBack,
                currentInfo?.Accuracy, currentInfo?.Loss, participants, aggregated.Contributors, aggregated.Rejected, aggregated.Dropouts,
                decision.Reason, clock.GetUtcNow(),
                currentInfo?.Accuracy is not null, currentInfo?.Accuracy is null ? notEvaluated ?? "the current version was never evaluated" : null,
                decision.Next.Best, decision.Next.BestAccuracy, decision.Outcome == CandidateOutcome.Stop ? decision.Reason : null, Declined: aggregated.Declined)),
                publish, cancellationToken);
            entry.RoundsDone.Add(aggregated.Round);
            await tasks.SaveAsync(entry, cancellationToken);
        }
        finally { entry.Gate.Release(); }
    }

    // Evaluates the candidate, stores it as the next version and asks the task's rollback policy which version is current.
    private async Task<(StoredCandidate Candidate, string? NotEvaluated)> StoreCandidateAsync(RoundAggregated aggregated, TaskModels.Entry entry, CancellationToken cancellationToken)
    {
        var weights = await store.LoadCandidateAsync(aggregated.AggregateRef!, cancellationToken);
        var (accuracy, loss, notEvaluated) = Evaluate(aggregated.TaskId, entry, weights);
        var version = entry.LatestVersion + 1;
        var decision = TaskRollback.PolicyOf(entry.Spec).Decide(entry.History, version, accuracy, finite: !weights.Any(w => !float.IsFinite(w)));
        if (entry.PendingPromotion is { } promoted)
        {
            // An operator made a version current while this round trained from another: the task continues from the promoted one.
            if (aggregated.BaseModelVersion != promoted)
                decision = ModelPromotion.Override(decision, version, aggregated.BaseModelVersion, promoted,
                    (await store.GetVersionAsync(aggregated.TaskId, promoted, cancellationToken))?.Accuracy);
            else entry.PendingPromotion = null;
        }
        var info = new ModelVersionInfo(aggregated.TaskId, version, aggregated.Round, aggregated.BaseModelVersion, weights.Length,
            WeightsFile.Digest(weights), accuracy, loss, decision.RolledBack, clock.GetUtcNow());
        await store.SaveVersionAsync(info, weights, cancellationToken);
        entry.LatestVersion = version;
        if (decision.RolledBack)
            logger.LogWarning("Task {Task} round {Round}: {Reason}", aggregated.TaskId, aggregated.Round, decision.Reason);
        if (decision.ContinueFrom != entry.CurrentVersion) await store.SetCurrentVersionAsync(aggregated.TaskId, decision.ContinueFrom, cancellationToken);
        entry.History = decision.Next;
        var candidate = new StoredCandidate(info, decision);
        entry.RoundVersions[aggregated.Round] = candidate;
        await tasks.SaveAsync(entry, cancellationToken); // before anything is published: a restart neither stores nor evaluates it again
        return (candidate, notEvaluated);
    }

    private async Task PublishOnceAsync<T>(TaskModels.Entry entry, RoundAggregated aggregated, T message, IPublishEndpoint publish, CancellationToken cancellationToken)
        where T : class
    {
        var name = typeof(T).Name;
        if (entry.Published.Contains((aggregated.Round, name))) return;
        await publish.PublishStableAsync(message, aggregated.TaskId, aggregated.Round, cancellationToken);
        entry.Published.Add((aggregated.Round, name));
        await tasks.SaveAsync(entry, cancellationToken);
    }

    private (double? Accuracy, double? Loss, string? NotEvaluatedReason) Evaluate(string taskId, TaskModels.Entry entry, float[] weights)
    {
        var set = validation.For(taskId, entry.Spec);
        if (set.Data is not { } data) return (null, null, set.Reason);
        var result = entry.Evaluator.Evaluate(ModelLayout.Of(entry.Spec).Weights(weights), data); // the weights, not control variates
        return (result.Accuracy, double.IsFinite(result.Loss) ? result.Loss : null, null);
    }

    private string NotEvaluatedReason(string taskId, TaskModels.Entry entry) =>
        validation.For(taskId, entry.Spec).Reason ?? "the current version was never evaluated";
}
