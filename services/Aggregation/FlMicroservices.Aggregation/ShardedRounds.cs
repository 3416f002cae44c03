using System.Diagnostics;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Aggregation;

/// <summary>
/// This instance's part in rounds sharded over several instances: reports its part of a round, applies the coordinator's
/// decision, and (shard 0) collects the reports, decides with <see cref="ShardCoordinator"/> and assembles the result.
/// </summary>
public sealed class ShardedRounds(
    RoundRegistry registry,
    SliceRetraction retraction,
    RoundCheckpointer checkpointer,
    IModelStore models,
    IBus bus,
    TimeProvider clock,
    IOptions<AggregationOptions> options,
    CommandSigning signing,
    ILogger<ShardedRounds> logger) : IDisposable
{
    private readonly CancellationTokenSource _shutdown = new();
    // Sharded rounds this shard has closed and reported, waiting for the coordinator's decision.
    private readonly Dictionary<(string Task, int Round), RoundAggregation> _reported = new();
    // Coordinator: reports and results received per round, and the decisions made.
    private readonly Dictionary<(string Task, int Round), Dictionary<int, ShardRoundReported>> _reports = new();
    private readonly Dictionary<(string Task, int Round), (ShardCoordinator.Decision Decision, RoundAggregation Own, Stopwatch Watch)> _decided = new();
    private readonly Dictionary<(string Task, int Round), Dictionary<int, ShardRoundFinished>> _results = new();

    private ShardSettings? Shard => options.Value.Shard;

    private TimeSpan Timeout => options.Value.ShardTimeout;

    /// <summary>True when the slices are sharded over several instances.</summary>
    public bool Sharded => Shard is { Count: > 1 };

    /// <summary>True on shard 0, which decides every sharded round and publishes its result.</summary>
    public bool Coordinates => Shard is { Index: 0 };

    /// <summary>Caller holds the registry's lock. Whether this shard has reported the round and waits for the decision.</summary>
    public bool HasReported((string Task, int Round) key) => _reported.ContainsKey(key);

    /// <summary>Caller holds the registry's lock. This shard's part of the round is closed; the coordinator decides the rest.</summary>
    public async Task ReportAsync(RoundAggregation round, CancellationToken cancellationToken)
    {
        var key = (round.Started.TaskId, round.Started.Round);
        registry.RemoveOpen(key);
        round.FoldWaiting();
        round.RejectMismatchedDigests(); // a shard checks no digests, but takes out slices no verified signed manifest vouches for
        await retraction.RetractRejectedAsync(round, cancellationToken);
        _reported[key] = round;
        registry.MarkClosed(key); // later slices of it are late
        checkpointer.WriteControl();
        await bus.Publish(signing.Sign(round.Report()), cancellationToken);
        if (Coordinates) _ = FailSilentShardsAsync(key);
    }

    /// <summary>Coordinator: one shard's report; once every shard (this one included) has reported, decides and tells them.</summary>
    public async Task OnReportedAsync(ShardRoundReported report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!Coordinates) return;
        var key = (report.TaskId, report.Round);
        using var locked = await registry.LockAsync(cancellationToken);
        if (report.ShardCount != Shard!.Count)
        {
            logger.LogError("Shard {Shard} of {Task}/{Round} counts {Count} shards, this coordinator {Mine}; its report is ignored",
                report.Shard, report.TaskId, report.Round, report.ShardCount, Shard.Count);
            return;
        }
        if (_decided.ContainsKey(key)) return;
        if (!_reports.TryGetValue(key, out var reports)) _reports[key] = reports = new();
        reports[report.Shard] = report;
        if (reports.Count < Shard.Count || !_reported.TryGetValue(key, out var own)) return;
        var decision = ShardCoordinator.Decide(own, [.. reports.Values.OrderBy(r => r.Shard)]);
        _reports.Remove(key);
        _decided[key] = (decision, own, Stopwatch.StartNew());
        await bus.Publish(signing.Sign(decision.Message), cancellationToken);
        if (decision.Message.FailureReason is not null) await PublishAsync(key, null, [], cancellationToken); // nothing to wait for
    }

    /// <summary>Every shard: the coordinator's decision; takes the excluded clients' slices back out, aggregates its slices, sends them.</summary>
    public async Task OnDecidedAsync(ShardRoundDecided decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (!Sharded) return;
        var key = (decision.TaskId, decision.Round);
        using var locked = await registry.LockAsync(cancellationToken);
        if (!_reported.Remove(key, out var round)) return; // redelivered, or a round this shard never had
        ShardRoundFinished finished;
        if (decision.FailureReason is not null)
            finished = new ShardRoundFinished(decision.TaskId, decision.Round, Shard!.Index, null, decision.FailureReason);
        else
        {
            foreach (var excluded in decision.Excluded) round.Exclude(excluded.ClientId, excluded.Reason);
            await retraction.RetractRejectedAsync(round, cancellationToken);
            var started = round.Started;
            var global = await models.LoadWeightsAsync(started.TaskId, started.ModelVersion, cancellationToken);
            var next = new float[global.Length];
            var failure = round.FinishShard(decision.Selected, global, next);
            finished = new ShardRoundFinished(decision.TaskId, decision.Round, Shard!.Index,
                failure is null ? ShardCoordinator.OwnedValues(next, started.SliceElements, Shard) : null, failure);
        }
        await bus.Publish(signing.Sign(finished), cancellationToken);
    }

    /// <summary>Coordinator: one shard's slices of the next model; once all are in, assembles, stores and publishes the round.</summary>
    public async Task OnFinishedAsync(ShardRoundFinished finished, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(finished);
        if (!Coordinates) return;
        var key = (finished.TaskId, finished.Round);
        using var locked = await registry.LockAsync(cancellationToken);
        if (!_decided.ContainsKey(key)) return;
        if (!_results.TryGetValue(key, out var results)) _results[key] = results = new();
        results[finished.Shard] = finished;
        if (results.Count < Shard!.Count) return;
        _results.Remove(key);
        var failure = results.Values.OrderBy(r => r.Shard).Select(r => r.FailureReason).FirstOrDefault(f => f is not null);
        await PublishAsync(key, failure, [.. results.Values.OrderBy(r => r.Shard)], cancellationToken);
    }

    // Caller holds the lock. Coordinator: the round's RoundAggregated, assembled from the shards' slices unless it failed.
    private async Task PublishAsync((string Task, int Round) key, string? failure, IReadOnlyList<ShardRoundFinished> results, CancellationToken cancellationToken)
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
                registry.SetLastNorms(started.TaskId, decision.Contributors.Select(c => c.UpdateNorm).ToArray());
            }
            catch (InvalidDataException e)
            {
                failure = e.Message;
            }
        }
        if (failure is not null) logger.LogWarning("Sharded round {Task}/{Round} failed: {Reason}", started.TaskId, started.Round, failure);
        await bus.Publish(signing.Sign(new RoundAggregated(started.TaskId, started.Round, started.ModelVersion, failure is null, reference,
            PublishedContributions.Of(started, decision.Contributors),
            decision.Message.Excluded, [.. decision.Dropouts], failure, watch.Elapsed.TotalSeconds)), cancellationToken);
        checkpointer.WriteControl();
    }

    // Coordinator: a shard that never reports (or never sends its slices) fails the round instead of stalling it.
    private async Task FailSilentShardsAsync((string Task, int Round) key)
    {
        try
        {
            await Task.Delay(Timeout, clock, _shutdown.Token);
            using (await registry.LockAsync(_shutdown.Token))
            {
                if (_reported.TryGetValue(key, out var own) && !_decided.ContainsKey(key))
                {
                    var reason = $"shard(s) {Silent(_reports.GetValueOrDefault(key)?.Keys)} did not report within {Timeout.TotalSeconds:0} s";
                    _reports.Remove(key);
                    _decided[key] = (new ShardCoordinator.Decision(new ShardRoundDecided(key.Task, key.Round, [], null, reason), [], []), own, Stopwatch.StartNew());
                    await bus.Publish(signing.Sign(_decided[key].Decision.Message), _shutdown.Token);
                    await PublishAsync(key, null, [], _shutdown.Token);
                    return;
                }
            }
            await Task.Delay(Timeout, clock, _shutdown.Token);
            using (await registry.LockAsync(_shutdown.Token))
            {
                if (!_decided.ContainsKey(key)) return;
                var silent = Silent(_results.GetValueOrDefault(key)?.Keys);
                _results.Remove(key);
                await PublishAsync(key, $"shard(s) {silent} did not send their slices within {Timeout.TotalSeconds:0} s", [], _shutdown.Token);
            }
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

    public void Dispose()
    {
        _shutdown.Cancel();
        _shutdown.Dispose();
    }
}
