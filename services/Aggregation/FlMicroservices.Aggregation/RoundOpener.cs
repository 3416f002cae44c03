using System.Collections.Concurrent;
using FlMicroservices.Aggregation.SecAgg;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Aggregation;

/// <summary>Opens the round a RoundStarted announces: a plain one in the registry, a secure one through the secure hand-over.</summary>
public sealed class RoundOpener(
    RoundRegistry registry,
    RoundCheckpointer checkpointer,
    UpdateRouter router,
    ShardedRounds sharded,
    SecureRoundHandOver secure,
    IModelStore models,
    IBus bus,
    TimeProvider clock,
    IOptions<AggregationOptions> options,
    CommandSigning signing,
    ILogger<RoundOpener> logger) : IDisposable
{
    private readonly CancellationTokenSource _shutdown = new();
    // Rounds whose opening failed with an error worth retrying, and the last such error.
    private readonly ConcurrentDictionary<(string Task, int Round), string> _failures = new();

    /// <summary>
    /// Opens a round. A round that cannot be opened (its model version missing, its strategy not buildable) fails at once with
    /// a failed <see cref="RoundAggregated"/> naming the reason; any other error is retried by the bus until the round's deadline,
    /// when the round fails with that error.
    /// </summary>
    public async Task OpenAsync(RoundStarted started, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(started);
        if (signing.Problem(started) is { } forged)
        {
            // Not failed: a forged RoundStarted must not end the real round, which opens when the selector's own arrives.
            logger.LogWarning("RoundStarted for {Task}/{Round} ignored: {Reason}", started.TaskId, started.Round, forged);
            return;
        }
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
            if (_failures.TryAdd((started.TaskId, started.Round), reason)) _ = FailUnopenedAtDeadlineAsync(started);
            else _failures[(started.TaskId, started.Round)] = reason;
            throw;
        }
    }

    private async Task TryOpenAsync(RoundStarted started, CancellationToken cancellationToken)
    {
        var key = (started.TaskId, started.Round);
        var info = await models.GetVersionAsync(started.TaskId, started.ModelVersion, cancellationToken)
            ?? throw new RoundCannotOpenException($"model version {started.ModelVersion} of task {started.TaskId} is not in the model store");
        if (SecureRoundHandOver.IsSecure(started))
        {
            await secure.OpenAsync(started, info.ParameterCount, cancellationToken);
            return;
        }
        using var locked = await registry.LockAsync(cancellationToken);
        await checkpointer.EnsureRestoredAsync(cancellationToken);
        if (registry.Knows(key)) return; // redelivered
        var round = new RoundAggregation(started, info.ParameterCount, checkpointer.StrategyFor(started),
            RoundAggregation.NormLimitFor(started, registry.LastNorms(started.TaskId)), options.Value.Shard);
        _failures.TryRemove(key, out _);
        registry.Open(round);
        await router.AdmitHeldAsync(round, cancellationToken);
    }

    // A round that could not be opened is closed as failed, once; only the coordinator of a sharded service reports it.
    private async Task FailUnopenedAsync(RoundStarted started, string reason, CancellationToken cancellationToken)
    {
        var key = (started.TaskId, started.Round);
        using var locked = await registry.LockAsync(cancellationToken);
        _failures.TryRemove(key, out _);
        await checkpointer.EnsureRestoredAsync(cancellationToken);
        if (registry.Knows(key) || sharded.HasReported(key)) return;
        logger.LogError("Round {Task}/{Round} failed: {Reason}", started.TaskId, started.Round, reason);
        registry.MarkClosed(key);
        if (sharded.Sharded && !sharded.Coordinates) return;
        await bus.Publish(signing.Sign(new RoundAggregated(started.TaskId, started.Round, started.ModelVersion, false, null, [], [], [], reason, 0)),
            cancellationToken);
        checkpointer.WriteControl();
    }

    private async Task FailUnopenedAtDeadlineAsync(RoundStarted started)
    {
        (string Task, int Round) key = (started.TaskId, started.Round);
        try
        {
            await RoundDeadlineService.WaitUntilAsync(clock, started.Deadline, _shutdown.Token);
            if (_failures.TryGetValue(key, out var reason)) await FailUnopenedAsync(started, reason, _shutdown.Token);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            logger.LogError(e, "Failing round {Task}/{Round} at its deadline failed", key.Task, key.Round);
        }
    }

    public void Dispose()
    {
        _shutdown.Cancel();
        _shutdown.Dispose();
    }

    private sealed class RoundCannotOpenException(string message) : Exception(message);
}
