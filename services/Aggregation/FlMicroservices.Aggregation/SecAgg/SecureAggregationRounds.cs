using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Infrastructure.Models;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Aggregation.SecAgg;

/// <summary>
/// The secure-aggregation rounds of this aggregation instance: opens one <see cref="SecureRound"/> per round whose task asks
/// for secure aggregation, routes the protocol messages, the masked completion messages and the masked slices to it, and keeps
/// what arrives for a round it has not opened yet.
/// </summary>
/// <remarks>
/// Secure rounds are not checkpointed: the protocol state of the server (keys, commitments, the masked running total) and
/// of the nodes (their secrets) lives in memory only. A restarted aggregation instance does not know the round; its nodes'
/// messages are then kept as pending, and the round ends without a <see cref="RoundAggregated"/> from this instance.
/// The masked total must be whole to be unmasked, so a sharded aggregation service (Aggregation:ShardCount above 1) does
/// not run secure rounds: shard 0 fails each one at once with that reason, the other shards ignore it.
/// </remarks>
public sealed class SecureAggregationRounds(
    IModelStore models,
    IBus bus,
    TimeProvider clock,
    IOptions<SecureAggregationOptions> options,
    IOptions<AggregationOptions> aggregation,
    ILogger<SecureAggregationRounds> logger) : IDisposable
{
    private readonly object _sync = new();
    private readonly Dictionary<(string Task, int Round), SecureRound> _open = new();
    private readonly RecentRounds _closed = new();
    private readonly List<Pending> _pending = new();
    private readonly Dictionary<string, IAggregationStrategy> _strategies = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();

    /// <summary>True when the round's task asks for secure aggregation.</summary>
    public static bool IsSecure(RoundStarted started) => started?.Privacy?.IsSecureAggregation == true;

    /// <summary>Secure rounds open right now.</summary>
    public int OpenRoundCount
    {
        get { lock (_sync) return _open.Count; }
    }

    /// <summary>Whether this instance opened (or closed) the secure round.</summary>
    public bool Knows(string taskId, int round)
    {
        lock (_sync) return _open.ContainsKey((taskId, round)) || _closed.Contains((taskId, round));
    }

    /// <summary>
    /// Whether a slice belongs here rather than to the plain aggregation: every slice of a secure round this instance opened
    /// (a float32 one is then refused). Masked slices cannot precede the round's opening, since a client masks only once the
    /// shares this instance routes have reached it; a UInt32 slice for a plain round stays with the plain aggregation,
    /// which refuses it.
    /// </summary>
    public bool Claims(UpdateSlice slice)
    {
        ArgumentNullException.ThrowIfNull(slice);
        return Knows(slice.TaskId, slice.Round);
    }

    /// <summary>Opens the round (a redelivered RoundStarted is ignored) and hands it what arrived before.</summary>
    public async Task OpenAsync(RoundStarted started, int parameterCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(started);
        var key = (started.TaskId, started.Round);
        SecureRound round;
        List<Pending> early;
        lock (_sync)
        {
            if (_open.ContainsKey(key) || _closed.Contains(key)) return;
            var shard = aggregation.Value.Shard;
            if (shard is { Index: > 0 })
            {
                RememberClosed(key); // shard 0 reports the round
                return;
            }
            var problem = shard is null ? null
                : $"secure aggregation needs the whole masked sum in one aggregation instance, and this service runs {shard.Count} shards (Aggregation:ShardCount)";
            round = new SecureRound(started, parameterCount, StrategyFor(started), models, bus, clock, options.Value, logger, Closed, _shutdown.Token, problem);
            _open[key] = round;
            early = _pending.FindAll(p => p.Task == started.TaskId && p.Round == started.Round);
            _pending.RemoveAll(p => p.Task == started.TaskId && p.Round == started.Round);
        }
        logger.LogInformation("Secure round {Task}/{Round} opened: {Mode} over {Count} participants, {Early} messages were waiting",
            started.TaskId, started.Round, started.Privacy.SecureAggregation, started.Participants.Length, early.Count);
        await round.StartAsync(cancellationToken);
        foreach (var pending in early)
        {
            switch (pending.Message)
            {
                case SecAggClientMessage message: await round.OnClientMessageAsync(message, cancellationToken); break;
                case MaskedUpdateSubmitted message: await round.OnMaskedUpdateAsync(message, cancellationToken); break;
                case UpdateSlice slice: await round.OnSliceAsync(slice, cancellationToken); break;
            }
        }
    }

    public Task OnClientMessageAsync(SecAggClientMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var round = Route(message.TaskId, message.Round, message);
        return round is null ? Task.CompletedTask : round.OnClientMessageAsync(message, cancellationToken);
    }

    public Task OnMaskedUpdateAsync(MaskedUpdateSubmitted message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var round = Route(message.TaskId, message.Round, message);
        return round is null ? Task.CompletedTask : round.OnMaskedUpdateAsync(message, cancellationToken);
    }

    public Task OnSliceAsync(UpdateSlice slice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slice);
        var round = Route(slice.TaskId, slice.Round, slice);
        return round is null ? Task.CompletedTask : round.OnSliceAsync(slice, cancellationToken);
    }

    // The round, or null when the message was kept for later or belongs to a closed round.
    private SecureRound? Route(string task, int number, object message)
    {
        lock (_sync)
        {
            if (_open.TryGetValue((task, number), out var round)) return round;
            if (_closed.Contains((task, number)))
            {
                logger.LogDebug("Late {Message} for closed secure round {Task}/{Round} ignored", message.GetType().Name, task, number);
                return null;
            }
            if (_pending.Count < options.Value.MaxPendingMessages)
                _pending.Add(new Pending(task, number, message));
            else
                logger.LogError("{Message} for unknown round {Task}/{Round} dropped: {Max} messages already wait for their round",
                    message.GetType().Name, task, number, options.Value.MaxPendingMessages);
            return null;
        }
    }

    // One strategy per task: a server optimizer (FedAvgM, FedAdam...) steps once per round on the securely computed mean.
    private IAggregationStrategy StrategyFor(RoundStarted started)
    {
        if (_strategies.TryGetValue(started.TaskId, out var strategy)) return strategy;
        try
        {
            strategy = StrategyCatalog.Create(started.Strategy, started.StrategyParameters, started.ByzantineShare);
        }
        catch (ArgumentException e)
        {
            logger.LogError("Secure round {Task}/{Round}: strategy {Strategy} cannot be built ({Reason}); FedAvg is used",
                started.TaskId, started.Round, started.Strategy, e.Message);
            strategy = new FedAvg();
        }
        return _strategies[started.TaskId] = strategy;
    }

    private void Closed(SecureRound round)
    {
        lock (_sync)
        {
            var key = (round.Started.TaskId, round.Started.Round);
            _open.Remove(key);
            RememberClosed(key);
        }
    }

    // Caller holds _sync.
    private void RememberClosed((string Task, int Round) key) => _closed.Add(key);

    public void Dispose()
    {
        _shutdown.Cancel();
        lock (_sync)
        {
            foreach (var round in _open.Values) round.Dispose();
            _open.Clear();
        }
        _shutdown.Dispose();
    }

    private sealed record Pending(string Task, int Round, object Message);
}
