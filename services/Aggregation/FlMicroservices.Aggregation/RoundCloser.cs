using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Telemetry;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Aggregation;

/// <summary>Closes a plain round once every participant is settled or at its deadline: forms, stores and publishes its result.</summary>
/// <remarks>The close, its publication and its record in the control checkpoint happen under the registry's lock, as one step.</remarks>
public sealed class RoundCloser(
    RoundRegistry registry,
    RoundCheckpointer checkpointer,
    SliceRetraction retraction,
    ShardedRounds sharded,
    IModelStore models,
    IBus bus,
    CommandSigning signing,
    LateUpdateStore late,
    ILogger<RoundCloser> logger)
{
    /// <summary>Caller holds the registry's lock. Closes the round when it is open and complete.</summary>
    public async Task CloseIfCompleteAsync((string Task, int Round) key, CancellationToken cancellationToken)
    {
        if (!registry.TryGetOpen(key, out var round) || !round.IsComplete) return;
        await CloseAsync(round, cancellationToken);
    }

    /// <summary>The round's deadline has passed: closes it with the updates that arrived, if it is still open.</summary>
    public async Task CloseAtDeadlineAsync((string Task, int Round) key, CancellationToken cancellationToken)
    {
        using var locked = await registry.LockAsync(cancellationToken);
        if (!registry.TryGetOpen(key, out var round)) return;
        logger.LogWarning("Round {Task}/{Round} reached its deadline; closing with the updates that arrived", key.Task, key.Round);
        await CloseAsync(round, cancellationToken);
    }

    // Caller holds the lock. A sharded round is reported to the coordinator instead.
    private async Task CloseAsync(RoundAggregation round, CancellationToken cancellationToken)
    {
        if (sharded.Sharded)
        {
            await sharded.ReportAsync(round, cancellationToken);
            return;
        }
        var started = round.Started;
        var key = (started.TaskId, started.Round);
        using var span = FlTelemetry.StartStep("aggregation close round", started.TaskId, started.Round);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // Waiting groups first: their fold checks values (a NaN rejects its client with that reason), then the digests.
        round.FoldWaiting();
        round.RejectMismatchedDigests();
        await retraction.RetractRejectedAsync(round, cancellationToken);
        var global = await models.LoadWeightsAsync(started.TaskId, started.ModelVersion, cancellationToken);
        var next = new float[global.Length];
        var outcome = round.Close(global, next);
        registry.RemoveOpen(key);
        string? reference = null;
        checkpointer.WriteStrategy(started); // after a failed round too: a restart continues the state (e.g. DP's noise stream) the round left
        if (outcome.Succeeded)
        {
            reference = await models.SaveCandidateAsync(started.TaskId, started.Round, next, cancellationToken);
            registry.SetLastNorms(started.TaskId, outcome.Contributors.Select(c => c.UpdateNorm).ToArray());
        }
        else
            logger.LogWarning("Round {Task}/{Round} failed: {Reason}", started.TaskId, started.Round, outcome.FailureReason);
        await bus.Publish(signing.Sign(new RoundAggregated(started.TaskId, started.Round, started.ModelVersion, outcome.Succeeded, reference,
            PublishedContributions.Of(started, outcome.Contributors), outcome.Rejected.ToArray(), outcome.Dropouts.ToArray(), outcome.FailureReason,
            watch.Elapsed.TotalSeconds, outcome.Declined is { Count: > 0 } declined ? [.. declined] : null)), cancellationToken);
        registry.MarkClosed(key);
        // From now on the participants it did not hear from may still send, for the next round, where the task folds late updates.
        if (late.RoundClosed(started, outcome.Dropouts, Core.Aggregation.LateUpdatePolicy.Folds(started.Settings)) is > 0 and var stale)
            logger.LogInformation("{Count} late updates of {Task}/{Round} were still incomplete when round {Next} closed; dropped", stale, started.TaskId, started.Round - 1, started.Round);
        checkpointer.WriteControl();
    }
}
