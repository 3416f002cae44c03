using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Planning;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Aggregation.SecAgg;

/// <summary>
/// Hands the rounds of tasks with secure aggregation over to a <see cref="SecureRound"/> each, registered in the
/// <see cref="RoundRegistry"/>, and routes their protocol messages, masked completion messages and masked slices to it.
/// </summary>
/// <remarks>Secure rounds are not checkpointed, and a sharded service does not run them (docs/architecture.md says why).</remarks>
public sealed class SecureRoundHandOver(
    RoundRegistry registry,
    IModelStore models,
    IBus bus,
    TimeProvider clock,
    IOptions<SecureAggregationOptions> options,
    IOptions<AggregationOptions> aggregation,
    UpdateVerifier verifier,
    CommandSigning signing,
    ILogger<SecureRoundHandOver> logger) : IDisposable
{
    private readonly CancellationTokenSource _shutdown = new();

    /// <summary>True when the round's task asks for secure aggregation.</summary>
    public static bool IsSecure(RoundStarted started) => started?.Privacy?.IsSecureAggregation == true;

    /// <summary>Secure rounds open right now.</summary>
    public int OpenRoundCount => registry.OpenSecureRoundCount;

    /// <summary>Whether this instance opened (or closed) the secure round.</summary>
    public bool Knows(string taskId, int round) => registry.IsSecure((taskId, round));

    /// <summary>
    /// Whether a slice belongs here rather than to the plain rounds: every slice of a secure round this instance opened
    /// (a float32 one is then refused). Masked slices cannot precede the round's opening: a client masks only once the shares
    /// this instance routes have reached it.
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
        var round = registry.OpenSecure((started.TaskId, started.Round), () =>
        {
            var shard = aggregation.Value.Shard;
            if (shard is { Index: > 0 }) return null; // shard 0 reports the round
            var problem = shard is null ? null
                : $"secure aggregation needs the whole masked sum in one aggregation instance, and this service runs {shard.Count} shards (Aggregation:ShardCount)";
            return new SecureRound(started, parameterCount, StrategyFor(started), models, bus, signing, clock, options.Value, logger,
                r => registry.CloseSecure((r.Started.TaskId, r.Started.Round)), _shutdown.Token, problem);
        }, out var early);
        if (round is null) return;
        logger.LogInformation("Secure round {Task}/{Round} opened: {Mode} over {Count} participants, {Early} messages were waiting",
            started.TaskId, started.Round, started.Privacy.SecureAggregation, started.Participants.Length, early.Count);
        await round.StartAsync(cancellationToken);
        foreach (var message in early)
        {
            switch (message)
            {
                case SecAggClientMessage m: await round.OnClientMessageAsync(m, cancellationToken); break;
                case MaskedUpdateSubmitted m: await DeliverAsync(round, m, cancellationToken); break;
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
        return round is null ? Task.CompletedTask : DeliverAsync(round, message, cancellationToken);
    }

    // The client signs the digest of what it sent, the masked update; one whose signature fails is excluded from the round.
    private async Task DeliverAsync(SecureRound round, MaskedUpdateSubmitted message, CancellationToken cancellationToken)
    {
        var refusal = ManifestNumbers.Problem(message.Metrics) ?? await verifier.ProblemAsync(round.Started, message, cancellationToken);
        if (refusal is not null)
            logger.LogWarning("Masked update of {Client} for {Task}/{Round} refused: {Reason}", message.ClientId, message.TaskId, message.Round, refusal);
        await round.OnMaskedUpdateAsync(message, cancellationToken, refusal);
        await verifier.RememberAsync(message, cancellationToken); // secure rounds are not checkpointed: taken is as stored as it gets
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
        var round = registry.RouteSecure((task, number), message, options.Value.MaxPendingMessages, out var routing);
        if (routing == SecureRouting.Late)
            logger.LogDebug("Late {Message} for closed secure round {Task}/{Round} ignored", message.GetType().Name, task, number);
        else if (routing == SecureRouting.Dropped)
            logger.LogError("{Message} for unknown round {Task}/{Round} dropped: {Max} messages already wait for their round",
                message.GetType().Name, task, number, options.Value.MaxPendingMessages);
        return round;
    }

    // One strategy per task: a server optimizer (FedAvgM, FedAdam...) steps once per round on the securely computed mean.
    private IAggregationStrategy StrategyFor(RoundStarted started) => registry.StrategyFor(started.TaskId, () =>
    {
        try
        {
            return RoundPlan.StrategyOf(started);
        }
        catch (ArgumentException e)
        {
            logger.LogError("Secure round {Task}/{Round}: strategy {Strategy} cannot be built ({Reason}); FedAvg is used",
                started.TaskId, started.Round, started.Strategy, e.Message);
            return new FedAvg();
        }
    });

    public void Dispose()
    {
        _shutdown.Cancel();
        foreach (var round in registry.TakeSecureRounds()) round.Dispose();
        _shutdown.Dispose();
    }
}
