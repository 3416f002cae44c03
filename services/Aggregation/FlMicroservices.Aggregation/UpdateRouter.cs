using FlMicroservices.Aggregation.SecAgg;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Aggregation;

/// <summary>
/// Takes the two halves of a client's update, its slices from the update stream and its manifest from the bus, into the open
/// round they belong to; keeps them for a round not opened yet, hands a secure round's slices over, skips another shard's.
/// </summary>
public sealed class UpdateRouter(
    RoundRegistry registry,
    RoundCheckpointer checkpointer,
    RoundCloser closer,
    SliceRetraction retraction,
    SecureRoundHandOver secure,
    UpdateVerifier verifier,
    LateUpdateStore late,
    IOptions<AggregationOptions> options,
    ILogger<UpdateRouter> logger)
{
    public Task OnSliceAsync(UpdateSlice slice, CancellationToken cancellationToken) => OnSliceAsync(slice, null, cancellationToken);

    /// <param name="slice">The slice.</param>
    /// <param name="position">Where the slice was read from the update stream (null when it came from elsewhere).</param>
    /// <param name="cancellationToken">Cancels the wait for the registry.</param>
    public async Task OnSliceAsync(UpdateSlice slice, StreamPosition? position, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slice);
        if (secure.Claims(slice))
        {
            await secure.OnSliceAsync(slice, cancellationToken);
            return;
        }
        if (options.Value.Shard is { Count: > 1 } shard && !shard.Owns(slice.SliceIndex)) return; // another shard's slice
        var key = (slice.TaskId, slice.Round);
        using var locked = await registry.LockAsync(cancellationToken);
        await checkpointer.EnsureRestoredAsync(cancellationToken);
        if (registry.TryGetOpen(key, out var round))
        {
            var outcome = round.Fold(slice, position);
            if (outcome == SliceOutcome.Rejected)
                logger.LogWarning("Slice {Index} of {Client} in {Task}/{Round} rejected", slice.SliceIndex, slice.ClientId, slice.TaskId, slice.Round);
            // A rejection (this slice's, or one its group's fold caused) may leave folded slices to take back.
            if (round.RetractionsWaiting) await retraction.RetractRejectedAsync(round, cancellationToken);
            await closer.CloseIfCompleteAsync(key, cancellationToken);
        }
        else if (registry.IsClosed(key) && late.Keep(slice, position)) // the task folds it into the next round
            await FoldLateAsync(slice.TaskId, slice.Round, cancellationToken);
        else if (registry.IsClosed(key))
            logger.LogDebug("Late slice {Index} of {Client} for closed round {Task}/{Round} ignored", slice.SliceIndex, slice.ClientId, slice.TaskId, slice.Round);
        else if (!registry.HoldSlice(slice, position)) // kept when it overtook its RoundStarted
            logger.LogError("Slice of {Client} for unknown round {Task}/{Round} dropped: {Bytes} bytes in {Count} slices already wait for rounds not opened (limits: Aggregation:HeldSliceBudgetBytes, {Max} slices)",
                slice.ClientId, slice.TaskId, slice.Round, registry.HeldSliceBytes, registry.HeldSliceCount, RoundRegistry.MaxHeldSlices);
    }

    public async Task OnManifestAsync(UpdateSubmitted manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var key = (manifest.TaskId, manifest.Round);
        using var locked = await registry.LockAsync(cancellationToken);
        await checkpointer.EnsureRestoredAsync(cancellationToken);
        var unreadable = ManifestNumbers.Problem(manifest.Metrics);
        if (registry.TryGetOpen(key, out var round))
        {
            if (unreadable is not null) Refuse(round, manifest, unreadable);
            else await AcceptVerifiedAsync(round, manifest, cancellationToken);
            await retraction.RetractRejectedAsync(round, cancellationToken);
        }
        else if (registry.IsClosed(key) && unreadable is null && late.Folding(manifest.TaskId, manifest.Round) is { } closed)
        {
            // The task folds late updates into the next round: kept (when its client is one the round waited for) until whole.
            if (await verifier.ProblemAsync(closed, manifest, cancellationToken) is { } problem)
                logger.LogWarning("Late manifest of {Client} for {Task}/{Round} refused: {Reason}", manifest.ClientId, manifest.TaskId, manifest.Round, problem);
            else if (!late.Keep(manifest))
                logger.LogWarning("Late manifest of {Client} for {Task}/{Round} ignored: the round did not wait for it", manifest.ClientId, manifest.TaskId, manifest.Round);
            else
            {
                await verifier.RememberAsync(manifest, cancellationToken);
                await FoldLateAsync(manifest.TaskId, manifest.Round, cancellationToken);
            }
            return;
        }
        else if (registry.IsClosed(key))
        {
            // A client that missed the round's deadline, or a replay: either way the round's result no longer changes.
            logger.LogWarning("Manifest of {Client} for closed round {Task}/{Round} ignored: the round closed before it arrived",
                manifest.ClientId, manifest.TaskId, manifest.Round);
            return;
        }
        else if (unreadable is not null)
        {
            // Never held: a held manifest is written into every checkpoint, which a non-finite number would break.
            logger.LogWarning("Manifest of {Client} for {Task}/{Round} refused: {Reason}", manifest.ClientId, manifest.TaskId, manifest.Round, unreadable);
            return;
        }
        else if (!registry.HoldManifest(manifest))
        {
            logger.LogError("Manifest of {Client} for unknown round {Task}/{Round} dropped: {Max} manifests already wait for rounds not opened",
                manifest.ClientId, manifest.TaskId, manifest.Round, RoundRegistry.MaxHeldManifests);
            return;
        }
        checkpointer.WriteControl();
        await verifier.RememberAsync(manifest, cancellationToken); // its nonce is used once its effect is stored
        await closer.CloseIfCompleteAsync(key, cancellationToken);
    }

    /// <summary>A participant will not send this round: the round stops waiting for it, and closes if that completes it.</summary>
    public async Task OnDeclinedAsync(UpdateDeclined declined, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(declined);
        var key = (declined.TaskId, declined.Round);
        using var locked = await registry.LockAsync(cancellationToken);
        await checkpointer.EnsureRestoredAsync(cancellationToken);
        if (registry.TryGetOpen(key, out var round)) Decline(round, declined);
        else if (registry.IsClosed(key) || registry.IsSecure(key)) // a secure round's protocol has its own dropout handling
        {
            logger.LogDebug("Decline of {Client} for {Task}/{Round} ignored: the round is closed or secure", declined.ClientId, declined.TaskId, declined.Round);
            return;
        }
        else if (!registry.HoldDecline(declined))
        {
            logger.LogError("Decline of {Client} for unknown round {Task}/{Round} dropped: {Max} declines already wait for rounds not opened",
                declined.ClientId, declined.TaskId, declined.Round, RoundRegistry.MaxHeldManifests);
            return;
        }
        checkpointer.WriteControl();
        await closer.CloseIfCompleteAsync(key, cancellationToken);
    }

    private void Decline(RoundAggregation round, UpdateDeclined declined)
    {
        if (round.Decline(declined) is { } ignored)
            logger.LogWarning("Decline of {Client} for {Task}/{Round} ignored: {Reason}", declined.ClientId, declined.TaskId, declined.Round, ignored);
        else
            logger.LogInformation("{Client} declined {Task}/{Round}: {Reason}", declined.ClientId, declined.TaskId, declined.Round, declined.Reason);
    }

    /// <summary>Caller holds the registry's lock. Gives a round just opened what arrived for it before, and closes it if that completes it.</summary>
    public async Task AdmitHeldAsync(RoundAggregation round, CancellationToken cancellationToken)
    {
        var key = (round.Started.TaskId, round.Started.Round);
        var (slices, manifests, declines) = registry.TakeHeld(key);
        foreach (var (slice, position) in slices) round.Fold(slice, position);
        foreach (var manifest in manifests) await AcceptVerifiedAsync(round, manifest, cancellationToken);
        foreach (var declined in declines) Decline(round, declined);
        FoldLate(round);
        await retraction.RetractRejectedAsync(round, cancellationToken);
        checkpointer.WriteControl();
        foreach (var manifest in manifests) await verifier.RememberAsync(manifest, cancellationToken);
        await closer.CloseIfCompleteAsync(key, cancellationToken);
    }

    // Caller holds the lock. The whole late updates of a closed round go into the round after it once that is open; until then they wait.
    private async Task FoldLateAsync(string taskId, int closedRound, CancellationToken cancellationToken)
    {
        if (!registry.TryGetOpen((taskId, closedRound + 1), out var round)) return;
        if (!FoldLate(round)) return;
        await retraction.RetractRejectedAsync(round, cancellationToken);
        checkpointer.WriteControl();
        await closer.CloseIfCompleteAsync((taskId, closedRound + 1), cancellationToken);
    }

    private bool FoldLate(RoundAggregation round)
    {
        var whole = late.TakeWhole(round.Started.TaskId, round.Started.Round - 1);
        foreach (var (manifest, slices) in whole)
        {
            if (round.FoldLate(manifest, slices, manifest.Round) is { } refused)
                logger.LogWarning("Late update of {Client} for {Task}/{Round} not folded into round {Next}: {Reason}", manifest.ClientId, manifest.TaskId, manifest.Round,
                    round.Started.Round, refused);
            else
                logger.LogInformation("Late update of {Client} for {Task}/{Round} folded into round {Next}", manifest.ClientId, manifest.TaskId, manifest.Round, round.Started.Round);
        }
        return whole.Count > 0;
    }

    // A manifest whose signature the round's task requires and that fails is refused, never the client's manifest (docs/signing.md).
    private async Task AcceptVerifiedAsync(RoundAggregation round, UpdateSubmitted manifest, CancellationToken cancellationToken)
    {
        if (await verifier.ProblemAsync(round.Started, manifest, cancellationToken) is { } problem) Refuse(round, manifest, problem);
        else round.AcceptManifest(manifest);
    }

    private void Refuse(RoundAggregation round, UpdateSubmitted manifest, string problem)
    {
        logger.LogWarning("Manifest of {Client} for {Task}/{Round} refused: {Reason}", manifest.ClientId, manifest.TaskId, manifest.Round, problem);
        round.RefuseManifest(manifest, problem);
    }
}
