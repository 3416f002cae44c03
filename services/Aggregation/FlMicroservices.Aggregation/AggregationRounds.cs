using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Infrastructure.Models;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Aggregation;

/// <summary>All rounds this aggregation instance is working on: routes slices and manifests, closes rounds, publishes results.</summary>
public sealed class AggregationRounds(IModelStore models, IBus bus, TimeProvider clock, ILogger<AggregationRounds> logger) : IDisposable
{
    private const int MaxPendingSlices = 100_000;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string Task, int Round), RoundAggregation> _open = new();
    private readonly HashSet<(string Task, int Round)> _closed = new();
    private readonly List<UpdateSlice> _pendingSlices = new();
    private readonly List<UpdateSubmitted> _pendingManifests = new();
    private readonly CancellationTokenSource _shutdown = new();
    // One strategy instance per task: server optimizers (FedAvgM, FedAdam, ...) keep their state across rounds.
    private readonly Dictionary<string, Core.Aggregation.IAggregationStrategy> _strategies = new(StringComparer.Ordinal);

    public async Task OpenAsync(RoundStarted started, CancellationToken cancellationToken)
    {
        var key = (started.TaskId, started.Round);
        var info = await models.GetVersionAsync(started.TaskId, started.ModelVersion, cancellationToken)
            ?? throw new InvalidOperationException($"Round {started.Round} of task {started.TaskId} names model version {started.ModelVersion}, which the model store does not have.");
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_open.ContainsKey(key) || _closed.Contains(key)) return; // redelivered
            if (!_strategies.TryGetValue(started.TaskId, out var strategy))
                _strategies[started.TaskId] = strategy = StrategyCatalog.Create(started.Strategy, started.StrategyParameters);
            var round = new RoundAggregation(started, info.ParameterCount, strategy);
            _open[key] = round;
            foreach (var slice in TakePending(_pendingSlices, s => s.TaskId == started.TaskId && s.Round == started.Round)) round.Fold(slice);
            foreach (var manifest in TakePending(_pendingManifests, m => m.TaskId == started.TaskId && m.Round == started.Round)) round.AcceptManifest(manifest);
        }
        finally { _gate.Release(); }
        _ = CloseAtDeadlineAsync(key, started.Deadline);
        await CloseIfCompleteAsync(key, cancellationToken);
    }

    public async Task OnSliceAsync(UpdateSlice slice, CancellationToken cancellationToken)
    {
        var key = (slice.TaskId, slice.Round);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_open.TryGetValue(key, out var round))
            {
                var outcome = round.Fold(slice);
                if (outcome == SliceOutcome.Rejected)
                    logger.LogWarning("Slice {Index} of {Client} in {Task}/{Round} rejected", slice.SliceIndex, slice.ClientId, slice.TaskId, slice.Round);
            }
            else if (_closed.Contains(key))
                logger.LogWarning("Late slice {Index} of {Client} for closed round {Task}/{Round} ignored", slice.SliceIndex, slice.ClientId, slice.TaskId, slice.Round);
            else if (_pendingSlices.Count < MaxPendingSlices)
                _pendingSlices.Add(slice); // the slice overtook its RoundStarted
            else
                logger.LogError("Slice of {Client} for unknown round {Task}/{Round} dropped: {Max} slices already wait for their round", slice.ClientId, slice.TaskId, slice.Round, MaxPendingSlices);
        }
        finally { _gate.Release(); }
        await CloseIfCompleteAsync(key, cancellationToken);
    }

    public async Task OnManifestAsync(UpdateSubmitted manifest, CancellationToken cancellationToken)
    {
        var key = (manifest.TaskId, manifest.Round);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_open.TryGetValue(key, out var round)) round.AcceptManifest(manifest);
            else if (!_closed.Contains(key)) _pendingManifests.Add(manifest);
        }
        finally { _gate.Release(); }
        await CloseIfCompleteAsync(key, cancellationToken);
    }

    private async Task CloseIfCompleteAsync((string Task, int Round) key, CancellationToken cancellationToken)
    {
        RoundAggregation? round;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_open.TryGetValue(key, out round) || !round.IsComplete) return;
            _open.Remove(key);
            _closed.Add(key);
        }
        finally { _gate.Release(); }
        await CloseAsync(round, cancellationToken);
    }

    private async Task CloseAtDeadlineAsync((string Task, int Round) key, DateTimeOffset deadline)
    {
        try
        {
            var wait = deadline - clock.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, _shutdown.Token);
            RoundAggregation? round;
            await _gate.WaitAsync(_shutdown.Token);
            try
            {
                if (!_open.Remove(key, out round)) return;
                _closed.Add(key);
            }
            finally { _gate.Release(); }
            logger.LogWarning("Round {Task}/{Round} reached its deadline; closing with the updates that arrived", key.Task, key.Round);
            await CloseAsync(round, _shutdown.Token);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            logger.LogError(e, "Closing round {Task}/{Round} at its deadline failed", key.Task, key.Round);
        }
    }

    private async Task CloseAsync(RoundAggregation round, CancellationToken cancellationToken)
    {
        var started = round.Started;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var global = await models.LoadWeightsAsync(started.TaskId, started.ModelVersion, cancellationToken);
        var next = new float[global.Length];
        var outcome = round.Close(global, next);
        string? reference = null;
        if (outcome.Succeeded)
            reference = await models.SaveCandidateAsync(started.TaskId, started.Round, next, cancellationToken);
        else
            logger.LogWarning("Round {Task}/{Round} failed: {Reason}", started.TaskId, started.Round, outcome.FailureReason);
        await bus.Publish(new RoundAggregated(started.TaskId, started.Round, started.ModelVersion, outcome.Succeeded, reference,
            outcome.Contributors.ToArray(), outcome.Rejected.ToArray(), outcome.Dropouts.ToArray(), outcome.FailureReason,
            watch.Elapsed.TotalSeconds), cancellationToken);
    }

    private static List<T> TakePending<T>(List<T> pending, Predicate<T> match)
    {
        var taken = pending.FindAll(match);
        pending.RemoveAll(match);
        return taken;
    }

    public void Dispose()
    {
        _shutdown.Cancel();
        _shutdown.Dispose();
        _gate.Dispose();
    }
}
