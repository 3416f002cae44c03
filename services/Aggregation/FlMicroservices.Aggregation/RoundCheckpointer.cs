using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Planning;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Aggregation;

/// <summary>Writes the round registry into the <see cref="AggregationCheckpoints"/> and restores it from them on first use.</summary>
public sealed class RoundCheckpointer(
    AggregationCheckpoints checkpoints,
    RoundRegistry registry,
    IModelStore models,
    IOptions<AggregationOptions> options,
    ILogger<RoundCheckpointer> logger)
{
    private bool _restored;
    private bool _warnedNotCheckpointable;

    /// <summary>
    /// Writes the running aggregates and waiting slices to the durable checkpoint. True when everything folded so far is
    /// durable (always, without checkpoints); false when an open round cannot be checkpointed: stream offsets must wait.
    /// </summary>
    public async Task<bool> CheckpointAsync(CancellationToken cancellationToken)
    {
        if (!checkpoints.Enabled) return true;
        using var locked = await registry.LockAsync(cancellationToken);
        await EnsureRestoredAsync(cancellationToken);
        var open = registry.OpenRounds();
        var blocked = open.FirstOrDefault(r => !r.CanCheckpoint);
        if (blocked is not null)
        {
            if (!_warnedNotCheckpointable)
                logger.LogWarning("Round {Task}/{Round} ({Strategy}) cannot be checkpointed; stream offsets are committed once it closes",
                    blocked.Started.TaskId, blocked.Started.Round, blocked.Started.Strategy);
            _warnedNotCheckpointable = true;
            return false;
        }
        var held = registry.HeldSlices();
        checkpoints.WriteState(writer =>
        {
            writer.Write(open.Count);
            foreach (var round in open)
            {
                writer.Write(round.Started.TaskId);
                writer.Write(round.Started.Round);
                // Length-prefixed, so that recovery can skip the state of a round closed after this write.
                WriteLengthPrefixed(writer, round.WriteCheckpoint);
            }
            writer.Write(held.Count);
            foreach (var (slice, position) in held)
            {
                var bytes = UpdateSliceCodec.Encode(slice);
                writer.Write(bytes.Length);
                writer.Write(bytes);
                writer.Write(position?.Partition ?? -1);
                writer.Write(position?.Offset ?? -1);
            }
        });
        return true;
    }

    /// <summary>
    /// The rounds whose update-stream records may still be needed: open, or waiting for their RoundStarted (what waited longer
    /// than <see cref="AggregationOptions.HeldLifetime"/> is dropped first, so a round that never starts holds nothing back).
    /// </summary>
    public async Task<HashSet<(string Task, int Round)>> UnsettledRoundsAsync(CancellationToken cancellationToken)
    {
        using var locked = await registry.LockAsync(cancellationToken);
        await EnsureRestoredAsync(cancellationToken);
        var expired = registry.ExpireHeld();
        foreach (var e in expired)
            logger.LogWarning("Round {Task}/{Round} never opened: {Slices} slices and {Manifests} manifests that waited for its RoundStarted were dropped",
                e.TaskId, e.Round, e.Slices, e.Manifests);
        if (expired.Count > 0) WriteControl();
        var keys = new HashSet<(string Task, int Round)>(registry.OpenRounds().Select(r => (r.Started.TaskId, r.Started.Round)));
        foreach (var (slice, _) in registry.HeldSlices()) keys.Add((slice.TaskId, slice.Round));
        return keys;
    }

    /// <summary>Caller holds the registry's lock. Rewrites the control checkpoint (open, waiting and closed rounds, last norms, refused manifests).</summary>
    public void WriteControl()
    {
        if (!checkpoints.Enabled) return;
        var open = registry.OpenRounds();
        var manifests = new List<UpdateSubmitted>(registry.HeldManifests());
        foreach (var round in open) manifests.AddRange(round.Manifests);
        var declines = new List<UpdateDeclined>(registry.HeldDeclines());
        foreach (var round in open) declines.AddRange(round.Declines);
        checkpoints.WriteControl(new AggregationControl(
            open.Select(r => r.Started).ToList(),
            manifests,
            registry.ClosedRounds().Select(k => new ClosedRound(k.Task, k.Round)).ToList(),
            registry.AllLastNorms(),
            declines,
            open.SelectMany(r => r.Refusals).ToList()));
    }

    /// <summary>The task's strategy; a stateful one built now gets the state checkpointed after the task's last closed round.</summary>
    public IAggregationStrategy StrategyFor(RoundStarted started) => registry.StrategyFor(started.TaskId, () =>
    {
        var strategy = RoundPlan.StrategyOf(started);
        if (strategy is ICheckpointable state)
        {
            // The latest closed round with a checkpoint (a round that failed to open began no strategy round and wrote none).
            foreach (var r in registry.ClosedRounds().Where(k => k.Task == started.TaskId).Select(k => k.Round).OrderDescending())
            {
                if (!checkpoints.ReadStrategy(started.TaskId, r, state)) continue;
                logger.LogInformation("Strategy state of task {Task} restored as of round {Round}", started.TaskId, r);
                break;
            }
        }
        return strategy;
    });

    /// <summary>Writes the task's stateful strategy as of the round just closed (nothing without checkpoints).</summary>
    public void WriteStrategy(RoundStarted started)
    {
        if (checkpoints.Enabled && registry.StrategyOf(started.TaskId) is ICheckpointable state)
            checkpoints.WriteStrategy(started.TaskId, started.Round, state);
    }

    /// <summary>Caller holds the registry's lock. Rebuilds the registry from the last checkpoints the first time it is called.</summary>
    public async Task EnsureRestoredAsync(CancellationToken cancellationToken)
    {
        if (_restored) return;
        _restored = true;
        var control = checkpoints.ReadControl();
        if (control is null) return;
        foreach (var closed in control.Closed) registry.MarkClosed((closed.TaskId, closed.Round));
        if (control.LastNorms is not null) foreach (var (task, norms) in control.LastNorms) registry.SetLastNorms(task, norms);
        var rounds = new Dictionary<(string, int), RoundAggregation>();
        foreach (var started in control.Open)
        {
            var key = (started.TaskId, started.Round);
            if (registry.IsClosed(key) || rounds.ContainsKey(key)) continue;
            var info = await models.GetVersionAsync(started.TaskId, started.ModelVersion, cancellationToken);
            if (info is null)
            {
                logger.LogError("Checkpointed round {Task}/{Round} names model version {Version}, which the model store does not have; it is dropped",
                    started.TaskId, started.Round, started.ModelVersion);
                continue;
            }
            // After a restart the previous round's norms are in the control checkpoint's record of it, when it is still there.
            var normLimit = RoundAggregation.NormLimitFor(started, control.LastNorms?.GetValueOrDefault(started.TaskId));
            rounds[key] = new RoundAggregation(started, info.ParameterCount, StrategyFor(started), normLimit, options.Value.Shard);
        }
        var held = new List<(UpdateSlice Slice, StreamPosition? Position)>();
        var restoredState = checkpoints.ReadState(reader =>
        {
            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                var key = (reader.ReadString(), reader.ReadInt32());
                var length = reader.ReadInt64();
                if (rounds.TryGetValue(key, out var round))
                    round.ReadCheckpoint(reader);
                else
                    reader.BaseStream.Seek(length, SeekOrigin.Current); // closed after this state was written
            }
            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                var length = reader.ReadInt32();
                var slice = UpdateSliceCodec.Decode(reader.ReadBytes(length));
                var (partition, offset) = (reader.ReadInt32(), reader.ReadInt64());
                held.Add((slice, partition >= 0 ? new StreamPosition(partition, offset) : null));
            }
        });
        var dropped = held.Count(h => !registry.HoldSlice(h.Slice, h.Position));
        if (dropped > 0) logger.LogError("{Dropped} slices waiting for their round were dropped on restore: over the held-slice budget", dropped);
        foreach (var round in rounds.Values) registry.Open(round);
        foreach (var manifest in control.Manifests)
        {
            var key = (manifest.TaskId, manifest.Round);
            if (registry.TryGetOpen(key, out var round)) round.AcceptManifest(manifest);
            else if (!registry.IsClosed(key) && !registry.HoldManifest(manifest))
                logger.LogError("Manifest of {Client} for unknown round {Task}/{Round} dropped on restore: {Max} manifests already wait",
                    manifest.ClientId, manifest.TaskId, manifest.Round, RoundRegistry.MaxHeldManifests);
        }
        // After the manifests, as when they arrived: a refusal never displaces a verified manifest of the client's own.
        foreach (var refused in control.Refusals ?? [])
            if (registry.TryGetOpen((refused.TaskId, refused.Round), out var round)) round.RefuseManifest(refused);
        foreach (var declined in control.Declines ?? [])
        {
            var key = (declined.TaskId, declined.Round);
            if (registry.TryGetOpen(key, out var round)) round.Decline(declined);
            else if (!registry.IsClosed(key)) registry.HoldDecline(declined);
        }
        logger.LogInformation("Aggregation resumed from its checkpoint: {Open} open rounds ({State}), {Pending} waiting slices, {Closed} closed rounds",
            registry.OpenRoundCount, restoredState ? "with their running aggregates" : "no running aggregates yet", held.Count, registry.ClosedCount);
    }

    // The length is written before the content and patched in place once the content is written.
    private static void WriteLengthPrefixed(BinaryWriter writer, Action<BinaryWriter> write)
    {
        writer.Write(0L);
        writer.Flush();
        var start = writer.BaseStream.Position;
        write(writer);
        writer.Flush();
        var end = writer.BaseStream.Position;
        writer.BaseStream.Position = start - sizeof(long);
        writer.Write(end - start);
        writer.Flush();
        writer.BaseStream.Position = end;
    }
}
