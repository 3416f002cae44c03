using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Telemetry;
using FlMicroservices.Infrastructure.UpdateStream;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Aggregation;

/// <summary>All rounds this aggregation instance is working on: routes slices and manifests, closes rounds, publishes results.</summary>
/// <remarks>
/// With checkpoints enabled (<see cref="AggregationOptions.CheckpointDirectory"/>), every state change a broker message makes is
/// written before the message is acknowledged, and the running aggregates are written by <see cref="CheckpointAsync"/>
/// before the update-stream offsets they cover are committed; a restarted instance resumes from them on first use.
/// A round is closed, its result published and the close recorded under one lock, so no checkpoint sees half a close.
/// </remarks>
public sealed class AggregationRounds(
    IModelStore models,
    IBus bus,
    TimeProvider clock,
    AggregationCheckpoints checkpoints,
    ILogger<AggregationRounds> logger) : IDisposable
{
    private const int MaxPendingSlices = 100_000;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string Task, int Round), RoundAggregation> _open = new();
    private readonly RecentRounds _closed = new();
    private readonly List<(UpdateSlice Slice, StreamPosition? Position)> _pendingSlices = new();
    private readonly List<UpdateSubmitted> _pendingManifests = new();
    private readonly CancellationTokenSource _shutdown = new();
    // One strategy instance per task: server optimizers (FedAvgM, FedAdam, ...) keep their state across rounds.
    private readonly Dictionary<string, IAggregationStrategy> _strategies = new(StringComparer.Ordinal);
    // Per task, the update norms of the last successful round's contributors: the reference for norm-outlier checks.
    private readonly Dictionary<string, double[]> _lastNorms = new(StringComparer.Ordinal);
    private bool _restored;
    private bool _warnedNotCheckpointable;

    public AggregationRounds(IModelStore models, IBus bus, TimeProvider clock, ILogger<AggregationRounds> logger)
        : this(models, bus, clock, new AggregationCheckpoints(null), logger)
    {
    }

    /// <summary>
    /// Reads slices back from the update stream so that a client rejected after some of its slices were folded can be taken
    /// back out of the aggregate; without one those slices stay folded and the round's report says so.
    /// </summary>
    public IUpdateStreamReader? StreamReader { get; set; }

    /// <summary>Takes the rounds of tasks with secure aggregation, and every masked slice (null: none are expected).</summary>
    public SecAgg.SecureAggregationRounds? SecureRounds { get; set; }

    /// <summary>
    /// The slices this instance holds when aggregation is sharded across instances (null: one instance holds them all).
    /// Shard 0 coordinates: see <see cref="ShardCoordinator"/>.
    /// </summary>
    public ShardSettings? Shard { get; set; }

    /// <summary>How long the coordinator waits, after closing its own part of a round, for the other shards.</summary>
    public TimeSpan ShardTimeout { get; set; } = TimeSpan.FromSeconds(60);

    private bool Sharded => Shard is { Count: > 1 };
    private bool Coordinates => Shard is { Index: 0 };
    // Sharded rounds this shard has closed and reported, waiting for the coordinator's decision.
    private readonly Dictionary<(string Task, int Round), RoundAggregation> _reported = new();
    // Coordinator: reports and results received per round, and the decisions made.
    private readonly Dictionary<(string Task, int Round), Dictionary<int, ShardRoundReported>> _shardReports = new();
    private readonly Dictionary<(string Task, int Round), (ShardCoordinator.Decision Decision, RoundAggregation Own, System.Diagnostics.Stopwatch Watch)> _decided = new();
    private readonly Dictionary<(string Task, int Round), Dictionary<int, ShardRoundFinished>> _shardResults = new();

    /// <summary>Rounds open right now (tests and health reporting).</summary>
    public int OpenRoundCount => _open.Count;

    /// <summary>
    /// Opens a round. A round that cannot be opened (its model version missing, its strategy not buildable) fails at once with
    /// a failed <see cref="RoundAggregated"/> naming the reason; any other error is retried by the bus until the round's deadline,
    /// when the round fails with that error.
    /// </summary>
    public async Task OpenAsync(RoundStarted started, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(started);
        try
        {
            await TryOpenAsync(started, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var reason = $"aggregation could not open round {started.Round}: {e.Message}";
            if (e is RoundCannotOpenException or ArgumentException)
            {
                await FailUnopenedAsync(started, reason, cancellationToken);
                return;
            }
            if (_openFailures.TryAdd((started.TaskId, started.Round), reason)) _ = FailUnopenedAtDeadlineAsync(started);
            else _openFailures[(started.TaskId, started.Round)] = reason;
            throw;
        }
    }

    private async Task TryOpenAsync(RoundStarted started, CancellationToken cancellationToken)
    {
        var key = (started.TaskId, started.Round);
        var info = await models.GetVersionAsync(started.TaskId, started.ModelVersion, cancellationToken)
            ?? throw new RoundCannotOpenException($"model version {started.ModelVersion} of task {started.TaskId} is not in the model store");
        if (SecureRounds is not null && SecAgg.SecureAggregationRounds.IsSecure(started))
        {
            await SecureRounds.OpenAsync(started, info.ParameterCount, cancellationToken);
            return;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await EnsureRestoredAsync(cancellationToken);
            if (_open.ContainsKey(key) || _closed.Contains(key)) return; // redelivered
            var round = new RoundAggregation(started, info.ParameterCount, StrategyFor(started),
                RoundAggregation.NormLimitFor(started, _lastNorms.GetValueOrDefault(started.TaskId)), Shard);
            _openFailures.TryRemove(key, out _);
            _open[key] = round;
            foreach (var (slice, position) in TakePending(_pendingSlices, s => s.Slice.TaskId == started.TaskId && s.Slice.Round == started.Round)) round.Fold(slice, position);
            foreach (var manifest in TakePending(_pendingManifests, m => m.TaskId == started.TaskId && m.Round == started.Round)) round.AcceptManifest(manifest);
            await RetractRejectedAsync(round, cancellationToken);
            WriteControl();
            _ = CloseAtDeadlineAsync(key, started.Deadline);
            await CloseIfCompleteAsync(key, cancellationToken);
        }
        finally { _gate.Release(); }
    }

    public Task OnSliceAsync(UpdateSlice slice, CancellationToken cancellationToken) => OnSliceAsync(slice, null, cancellationToken);

    /// <param name="position">Where the slice was read from the update stream (null when it came from elsewhere).</param>
    public async Task OnSliceAsync(UpdateSlice slice, StreamPosition? position, CancellationToken cancellationToken)
    {
        if (SecureRounds?.Claims(slice) == true)
        {
            await SecureRounds.OnSliceAsync(slice, cancellationToken);
            return;
        }
        if (Sharded && !Shard!.Owns(slice.SliceIndex)) return; // another shard's slice
        var key = (slice.TaskId, slice.Round);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await EnsureRestoredAsync(cancellationToken);
            if (_open.TryGetValue(key, out var round))
            {
                var outcome = round.Fold(slice, position);
                if (outcome == SliceOutcome.Rejected)
                    logger.LogWarning("Slice {Index} of {Client} in {Task}/{Round} rejected", slice.SliceIndex, slice.ClientId, slice.TaskId, slice.Round);
                // A rejection (this slice's, or one its group's fold caused) may leave folded slices to take back.
                if (round.RetractionsWaiting) await RetractRejectedAsync(round, cancellationToken);
                await CloseIfCompleteAsync(key, cancellationToken);
            }
            else if (_closed.Contains(key))
                logger.LogDebug("Late slice {Index} of {Client} for closed round {Task}/{Round} ignored", slice.SliceIndex, slice.ClientId, slice.TaskId, slice.Round);
            else if (_pendingSlices.Count < MaxPendingSlices)
                _pendingSlices.Add((slice, position)); // the slice overtook its RoundStarted
            else
                logger.LogError("Slice of {Client} for unknown round {Task}/{Round} dropped: {Max} slices already wait for their round", slice.ClientId, slice.TaskId, slice.Round, MaxPendingSlices);
        }
        finally { _gate.Release(); }
    }

    public async Task OnManifestAsync(UpdateSubmitted manifest, CancellationToken cancellationToken)
    {
        var key = (manifest.TaskId, manifest.Round);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await EnsureRestoredAsync(cancellationToken);
            if (_open.TryGetValue(key, out var round))
            {
                round.AcceptManifest(manifest);
                await RetractRejectedAsync(round, cancellationToken);
            }
            else if (!_closed.Contains(key)) _pendingManifests.Add(manifest);
            else return;
            WriteControl();
            await CloseIfCompleteAsync(key, cancellationToken);
        }
        finally { _gate.Release(); }
    }

    /// <summary>
    /// Writes the running aggregates and waiting slices to the durable checkpoint. True when everything folded so far is
    /// durable (always, without checkpoints: there is nothing to wait for); false when an open round cannot be checkpointed,
    /// in which case the caller must not commit its stream offsets yet.
    /// </summary>
    public async Task<bool> CheckpointAsync(CancellationToken cancellationToken)
    {
        if (!checkpoints.Enabled) return true;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await EnsureRestoredAsync(cancellationToken);
            var blocked = _open.Values.FirstOrDefault(r => !r.CanCheckpoint);
            if (blocked is not null)
            {
                if (!_warnedNotCheckpointable)
                    logger.LogWarning("Round {Task}/{Round} ({Strategy}) cannot be checkpointed; stream offsets are committed once it closes",
                        blocked.Started.TaskId, blocked.Started.Round, blocked.Started.Strategy);
                _warnedNotCheckpointable = true;
                return false;
            }
            checkpoints.WriteState(writer =>
            {
                writer.Write(_open.Count);
                foreach (var ((task, number), round) in _open)
                {
                    writer.Write(task);
                    writer.Write(number);
                    // Length-prefixed (patched in place), so that recovery can skip the state of a round closed after this write.
                    writer.Write(0L);
                    writer.Flush();
                    var start = writer.BaseStream.Position;
                    round.WriteCheckpoint(writer);
                    writer.Flush();
                    var end = writer.BaseStream.Position;
                    writer.BaseStream.Position = start - sizeof(long);
                    writer.Write(end - start);
                    writer.Flush();
                    writer.BaseStream.Position = end;
                }
                writer.Write(_pendingSlices.Count);
                foreach (var (slice, position) in _pendingSlices)
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
        finally { _gate.Release(); }
    }

    /// <summary>The rounds whose update-stream records may still be needed: open, or waiting for their RoundStarted.</summary>
    public async Task<HashSet<(string Task, int Round)>> UnsettledRoundsAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await EnsureRestoredAsync(cancellationToken);
            var keys = new HashSet<(string Task, int Round)>(_open.Keys);
            foreach (var (slice, _) in _pendingSlices) keys.Add((slice.TaskId, slice.Round));
            return keys;
        }
        finally { _gate.Release(); }
    }

    private IAggregationStrategy StrategyFor(RoundStarted started)
    {
        if (_strategies.TryGetValue(started.TaskId, out var strategy)) return strategy;
        strategy = StrategyCatalog.Create(started.Strategy, started.StrategyParameters, started.ByzantineShare);
        if (strategy is ICheckpointable state)
        {
            var lastClosed = _closed.InOrder.Where(k => k.Task == started.TaskId).Select(k => (int?)k.Round).Max();
            if (lastClosed is { } r && checkpoints.ReadStrategy(started.TaskId, r, state))
                logger.LogInformation("Strategy state of task {Task} restored as of round {Round}", started.TaskId, r);
        }
        return _strategies[started.TaskId] = strategy;
    }

    // Caller holds the gate.
    private async Task CloseIfCompleteAsync((string Task, int Round) key, CancellationToken cancellationToken)
    {
        if (!_open.TryGetValue(key, out var round) || !round.IsComplete) return;
        await CloseAsync(key, round, cancellationToken);
    }

    // Rounds whose opening failed with an error worth retrying, and the last such error.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Task, int Round), string> _openFailures = new();

    private sealed class RoundCannotOpenException(string message) : Exception(message);

    // A round that could not be opened is closed as failed, once; only the coordinator of a sharded service reports it.
    private async Task FailUnopenedAsync(RoundStarted started, string reason, CancellationToken cancellationToken)
    {
        var key = (started.TaskId, started.Round);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _openFailures.TryRemove(key, out _);
            await EnsureRestoredAsync(cancellationToken);
            if (_open.ContainsKey(key) || _closed.Contains(key) || _reported.ContainsKey(key)) return;
            logger.LogError("Round {Task}/{Round} failed: {Reason}", started.TaskId, started.Round, reason);
            RememberClosed(key);
            if (Sharded && !Coordinates) return;
            await bus.Publish(new RoundAggregated(started.TaskId, started.Round, started.ModelVersion, false, null, [], [], [], reason, 0),
                cancellationToken);
            WriteControl();
        }
        finally { _gate.Release(); }
    }

    private async Task FailUnopenedAtDeadlineAsync(RoundStarted started)
    {
        var key = (started.TaskId, started.Round);
        try
        {
            await UntilAsync(started.Deadline);
            if (_openFailures.TryGetValue(key, out var reason)) await FailUnopenedAsync(started, reason, _shutdown.Token);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            logger.LogError(e, "Failing round {Task}/{Round} at its deadline failed", key.Item1, key.Item2);
        }
    }

    // Task.Delay takes at most ~49 days: far deadlines are waited for a day at a time.
    private async Task UntilAsync(DateTimeOffset deadline)
    {
        for (var wait = deadline - clock.GetUtcNow(); wait > TimeSpan.Zero; wait = deadline - clock.GetUtcNow())
            await Task.Delay(wait < TimeSpan.FromDays(1) ? wait : TimeSpan.FromDays(1), clock, _shutdown.Token);
    }

    private async Task CloseAtDeadlineAsync((string Task, int Round) key, DateTimeOffset deadline)
    {
        try
        {
            await UntilAsync(deadline);
            await _gate.WaitAsync(_shutdown.Token);
            try
            {
                if (!_open.TryGetValue(key, out var round)) return;
                logger.LogWarning("Round {Task}/{Round} reached its deadline; closing with the updates that arrived", key.Task, key.Round);
                await CloseAsync(key, round, _shutdown.Token);
            }
            finally { _gate.Release(); }
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            logger.LogError(e, "Closing round {Task}/{Round} at its deadline failed", key.Task, key.Round);
        }
    }

    // Caller holds the gate: the close, its publication and its record in the control checkpoint are one step for checkpoints.
    private async Task CloseAsync((string Task, int Round) key, RoundAggregation round, CancellationToken cancellationToken)
    {
        if (Sharded)
        {
            await ReportShardAsync(key, round, cancellationToken);
            return;
        }
        var started = round.Started;
        using var span = FlTelemetry.StartStep("aggregation close round", started.TaskId, started.Round);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        round.RejectMismatchedDigests();
        round.FoldWaiting(); // a group refused by the accumulator's range rejects clients whose folded slices are taken back next
        await RetractRejectedAsync(round, cancellationToken);
        var global = await models.LoadWeightsAsync(started.TaskId, started.ModelVersion, cancellationToken);
        var next = new float[global.Length];
        var outcome = round.Close(global, next);
        _open.Remove(key);
        string? reference = null;
        if (outcome.Succeeded)
        {
            if (checkpoints.Enabled && _strategies.GetValueOrDefault(started.TaskId) is ICheckpointable state)
                checkpoints.WriteStrategy(started.TaskId, started.Round, state);
            reference = await models.SaveCandidateAsync(started.TaskId, started.Round, next, cancellationToken);
            _lastNorms[started.TaskId] = outcome.Contributors.Select(c => c.UpdateNorm).ToArray();
        }
        else
            logger.LogWarning("Round {Task}/{Round} failed: {Reason}", started.TaskId, started.Round, outcome.FailureReason);
        await bus.Publish(new RoundAggregated(started.TaskId, started.Round, started.ModelVersion, outcome.Succeeded, reference,
            Published(started, outcome.Contributors), outcome.Rejected.ToArray(), outcome.Dropouts.ToArray(), outcome.FailureReason,
            watch.Elapsed.TotalSeconds), cancellationToken);
        RememberClosed(key);
        WriteControl();
    }

    // Caller holds the gate. Sharded: this shard's part of the round is closed; the coordinator decides the rest.
    private async Task ReportShardAsync((string Task, int Round) key, RoundAggregation round, CancellationToken cancellationToken)
    {
        _open.Remove(key);
        round.FoldWaiting();
        await RetractRejectedAsync(round, cancellationToken);
        _reported[key] = round;
        RememberClosed(key); // later slices of it are late
        WriteControl();
        await bus.Publish(round.Report(), cancellationToken);
        if (Coordinates) _ = FailSilentShardsAsync(key);
    }

    /// <summary>Coordinator: one shard's report; once every shard (this one included) has reported, decides and tells them.</summary>
    public async Task OnShardReportedAsync(ShardRoundReported report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!Coordinates) return;
        var key = (report.TaskId, report.Round);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (report.ShardCount != Shard!.Count)
            {
                logger.LogError("Shard {Shard} of {Task}/{Round} counts {Count} shards, this coordinator {Mine}; its report is ignored",
                    report.Shard, report.TaskId, report.Round, report.ShardCount, Shard.Count);
                return;
            }
            if (_decided.ContainsKey(key)) return;
            if (!_shardReports.TryGetValue(key, out var reports)) _shardReports[key] = reports = new();
            reports[report.Shard] = report;
            if (reports.Count < Shard.Count || !_reported.TryGetValue(key, out var own)) return;
            var decision = ShardCoordinator.Decide(own, [.. reports.Values.OrderBy(r => r.Shard)]);
            _shardReports.Remove(key);
            _decided[key] = (decision, own, System.Diagnostics.Stopwatch.StartNew());
            await bus.Publish(decision.Message, cancellationToken);
            if (decision.Message.FailureReason is not null) await PublishShardedAsync(key, null, [], cancellationToken); // nothing to wait for
        }
        finally { _gate.Release(); }
    }

    /// <summary>Every shard: the coordinator's decision; takes the excluded clients' slices back out, aggregates its slices, sends them.</summary>
    public async Task OnShardDecidedAsync(ShardRoundDecided decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (!Sharded) return;
        var key = (decision.TaskId, decision.Round);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_reported.Remove(key, out var round)) return; // redelivered, or a round this shard never had
            ShardRoundFinished finished;
            if (decision.FailureReason is not null)
                finished = new ShardRoundFinished(decision.TaskId, decision.Round, Shard!.Index, null, decision.FailureReason);
            else
            {
                foreach (var excluded in decision.Excluded) round.Exclude(excluded.ClientId, excluded.Reason);
                await RetractRejectedAsync(round, cancellationToken);
                var started = round.Started;
                var global = await models.LoadWeightsAsync(started.TaskId, started.ModelVersion, cancellationToken);
                var next = new float[global.Length];
                var failure = round.FinishShard(decision.Selected, global, next);
                finished = new ShardRoundFinished(decision.TaskId, decision.Round, Shard!.Index,
                    failure is null ? ShardCoordinator.OwnedValues(next, started.SliceElements, Shard) : null, failure);
            }
            await bus.Publish(finished, cancellationToken);
        }
        finally { _gate.Release(); }
    }

    /// <summary>Coordinator: one shard's slices of the next model; once all are in, assembles, stores and publishes the round.</summary>
    public async Task OnShardFinishedAsync(ShardRoundFinished finished, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(finished);
        if (!Coordinates) return;
        var key = (finished.TaskId, finished.Round);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_decided.ContainsKey(key)) return;
            if (!_shardResults.TryGetValue(key, out var results)) _shardResults[key] = results = new();
            results[finished.Shard] = finished;
            if (results.Count < Shard!.Count) return;
            _shardResults.Remove(key);
            var failure = results.Values.OrderBy(r => r.Shard).Select(r => r.FailureReason).FirstOrDefault(f => f is not null);
            await PublishShardedAsync(key, failure, [.. results.Values.OrderBy(r => r.Shard)], cancellationToken);
        }
        finally { _gate.Release(); }
    }

    // Caller holds the gate. Coordinator: the round's RoundAggregated, assembled from the shards' slices unless it failed.
    private async Task PublishShardedAsync((string Task, int Round) key, string? failure, IReadOnlyList<ShardRoundFinished> results, CancellationToken cancellationToken)
    {
        if (!_decided.Remove(key, out var entry)) return;
        var (decision, own, watch) = entry;
        var started = own.Started;
        failure ??= decision.Message.FailureReason;
        string? reference = null;
        if (failure is null)
        {
            var model = await models.LoadWeightsAsync(started.TaskId, started.ModelVersion, cancellationToken);
            try
            {
                ShardCoordinator.Assemble(results, started.SliceElements, model);
                reference = await models.SaveCandidateAsync(started.TaskId, started.Round, model, cancellationToken);
                _lastNorms[started.TaskId] = decision.Contributors.Select(c => c.UpdateNorm).ToArray();
            }
            catch (InvalidDataException e)
            {
                failure = e.Message;
            }
        }
        if (failure is not null) logger.LogWarning("Sharded round {Task}/{Round} failed: {Reason}", started.TaskId, started.Round, failure);
        await bus.Publish(new RoundAggregated(started.TaskId, started.Round, started.ModelVersion, failure is null, reference,
            Published(started, decision.Contributors),
            decision.Message.Excluded, [.. decision.Dropouts], failure, watch.Elapsed.TotalSeconds), cancellationToken);
        WriteControl();
    }

    // Coordinator: a shard that never reports (or never sends its slices) fails the round instead of stalling it.
    private async Task FailSilentShardsAsync((string Task, int Round) key)
    {
        try
        {
            await Task.Delay(ShardTimeout, clock, _shutdown.Token);
            await _gate.WaitAsync(_shutdown.Token);
            try
            {
                if (_reported.ContainsKey(key) && !_decided.ContainsKey(key))
                {
                    var reason = $"shard(s) {Silent(_shardReports.GetValueOrDefault(key)?.Keys)} did not report within {ShardTimeout.TotalSeconds:0} s";
                    var own = _reported[key];
                    _shardReports.Remove(key);
                    _decided[key] = (new ShardCoordinator.Decision(new ShardRoundDecided(key.Task, key.Round, [], null, reason), [], []), own, System.Diagnostics.Stopwatch.StartNew());
                    await bus.Publish(_decided[key].Decision.Message, _shutdown.Token);
                    await PublishShardedAsync(key, null, [], _shutdown.Token);
                    return;
                }
            }
            finally { _gate.Release(); }
            await Task.Delay(ShardTimeout, clock, _shutdown.Token);
            await _gate.WaitAsync(_shutdown.Token);
            try
            {
                if (!_decided.ContainsKey(key)) return;
                var silent = Silent(_shardResults.GetValueOrDefault(key)?.Keys);
                _shardResults.Remove(key);
                await PublishShardedAsync(key, $"shard(s) {silent} did not send their slices within {ShardTimeout.TotalSeconds:0} s", [], _shutdown.Token);
            }
            finally { _gate.Release(); }
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            logger.LogError(e, "Failing the silent shards of round {Task}/{Round} failed", key.Task, key.Round);
        }
    }

    private string Silent(IEnumerable<int>? heard)
    {
        var from = heard?.ToHashSet() ?? [];
        return string.Join(", ", Enumerable.Range(0, Shard!.Count).Where(k => !from.Contains(k)));
    }

    // Under differential privacy a client's exact update norm and training loss are data-dependent values outside the
    // mechanism: they are withheld (published as 0) from the events every subscriber sees.
    private static Contribution[] Published(RoundStarted started, IReadOnlyList<Contribution> contributors) =>
        started.Privacy.Enabled
            ? contributors.Select(c => c with { UpdateNorm = 0, TrainLoss = 0 }).ToArray()
            : contributors.ToArray();

    private void RememberClosed((string Task, int Round) key) => _closed.Add(key);

    // Caller holds the gate.
    private void WriteControl()
    {
        if (!checkpoints.Enabled) return;
        var manifests = new List<UpdateSubmitted>(_pendingManifests);
        foreach (var round in _open.Values) manifests.AddRange(round.Manifests);
        checkpoints.WriteControl(new AggregationControl(
            _open.Values.Select(r => r.Started).ToList(),
            manifests,
            _closed.InOrder.Select(k => new ClosedRound(k.Task, k.Round)).ToList(),
            new Dictionary<string, double[]>(_lastNorms)));
    }

    // Caller holds the gate. Rebuilds the state of the last checkpoints the first time the instance is used.
    private async Task EnsureRestoredAsync(CancellationToken cancellationToken)
    {
        if (_restored) return;
        _restored = true;
        var control = checkpoints.ReadControl();
        if (control is null) return;
        foreach (var closed in control.Closed) RememberClosed((closed.TaskId, closed.Round));
        if (control.LastNorms is not null) foreach (var (task, norms) in control.LastNorms) _lastNorms[task] = norms;
        var rounds = new Dictionary<(string, int), RoundAggregation>();
        foreach (var started in control.Open)
        {
            var key = (started.TaskId, started.Round);
            if (_closed.Contains(key) || rounds.ContainsKey(key)) continue;
            var info = await models.GetVersionAsync(started.TaskId, started.ModelVersion, cancellationToken);
            if (info is null)
            {
                logger.LogError("Checkpointed round {Task}/{Round} names model version {Version}, which the model store does not have; it is dropped",
                    started.TaskId, started.Round, started.ModelVersion);
                continue;
            }
            rounds[key] = new RoundAggregation(started, info.ParameterCount, StrategyFor(started), NormLimitFromControl(control, started), Shard);
        }
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
                _pendingSlices.Add((slice, partition >= 0 ? new StreamPosition(partition, offset) : null));
            }
        });
        foreach (var (key, round) in rounds) _open[key] = round;
        foreach (var manifest in control.Manifests)
        {
            var key = (manifest.TaskId, manifest.Round);
            if (_open.TryGetValue(key, out var round)) round.AcceptManifest(manifest);
            else if (!_closed.Contains(key)) _pendingManifests.Add(manifest);
        }
        foreach (var (key, round) in _open) _ = CloseAtDeadlineAsync(key, round.Started.Deadline);
        logger.LogInformation("Aggregation resumed from its checkpoint: {Open} open rounds ({State}), {Pending} waiting slices, {Closed} closed rounds",
            _open.Count, restoredState ? "with their running aggregates" : "no running aggregates yet", _pendingSlices.Count, _closed.Count);
    }

    // Caller holds the gate. Reads the folded slices of newly rejected clients back from the stream and takes them out of
    // the aggregate; a slice that cannot be read or does not match what was folded stays in, and the report says why.
    private async Task RetractRejectedAsync(RoundAggregation round, CancellationToken cancellationToken)
    {
        foreach (var pending in round.TakeRetractions())
        {
            if (StreamReader is null || pending.Slices.Any(s => s.Position is null))
            {
                round.RetractionFailed(pending.ClientId, StreamReader is null ? "no stream reader to read them back" : "their stream positions are unknown");
                continue;
            }
            try
            {
                var records = await StreamReader.ReadAsync(pending.Slices.Select(s => s.Position!.Value).ToList(), cancellationToken);
                var taken = 0;
                for (var i = 0; i < records.Count; i++)
                {
                    var slice = UpdateSliceCodec.Decode(records[i].Value);
                    if (slice.TaskId != round.Started.TaskId || slice.Round != round.Started.Round || slice.ClientId != pending.ClientId
                        || slice.SliceIndex != pending.Slices[i].SliceIndex || !round.Retract(slice))
                        round.RetractionFailed(pending.ClientId, $"the record read back for slice {pending.Slices[i].SliceIndex} is not the slice that was folded");
                    else taken++;
                }
                logger.LogInformation("Rejected client {Client} of {Task}/{Round}: {Taken} folded slices taken back out of the aggregate",
                    pending.ClientId, round.Started.TaskId, round.Started.Round, taken);
            }
            catch (Exception e) when (e is UpdateStreamReadException or MalformedSliceException)
            {
                round.RetractionFailed(pending.ClientId, e.Message);
                logger.LogWarning("Slices of rejected client {Client} of {Task}/{Round} could not be taken back: {Reason}",
                    pending.ClientId, round.Started.TaskId, round.Started.Round, e.Message);
            }
        }
    }

    // After a restart the previous round's norms are in the control checkpoint's record of it, when it is still there.
    private static double? NormLimitFromControl(AggregationControl control, RoundStarted started) =>
        RoundAggregation.NormLimitFor(started, control.LastNorms?.GetValueOrDefault(started.TaskId));

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
