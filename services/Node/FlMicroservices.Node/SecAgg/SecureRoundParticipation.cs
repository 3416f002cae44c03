using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Privacy.SecAgg;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.UpdateStream;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Node.SecAgg;

/// <summary>Where a simulated dropout stops in a secure round (<see cref="NodeOptions.DropoutRate"/>).</summary>
public enum SecureDropStage
{
    /// <summary>Takes part to the end.</summary>
    None,

    /// <summary>Never answers: not even its keys.</summary>
    BeforeAdvertiseKeys,

    /// <summary>Advertises its keys, then disappears: nobody holds shares of its secrets, nobody masks with it.</summary>
    AfterAdvertiseKeys,

    /// <summary>Deals its shares, then disappears before masking: the server must reconstruct its masking key.</summary>
    AfterShareKeys,
}

/// <summary>
/// Sees each client's clipped update just before the node masks it (the node holds the update anyway). For tests and
/// simulations that check the securely aggregated model against the plain mean; nothing of it leaves the node.
/// </summary>
public interface ISecureAggregationInputObserver
{
    void Masking(string taskId, int round, string clientId, ReadOnlySpan<float> clippedUpdate);
}

/// <summary>
/// A node's side of secure aggregation: one <see cref="SecAggClient"/> per hosted client selected for a secure round,
/// driven by the aggregation service's <see cref="SecAggServerMessage"/>s, answering with <see cref="SecAggClientMessage"/>s,
/// and streaming the masked update as UInt32 slices followed by <see cref="MaskedUpdateSubmitted"/>.
/// </summary>
/// <remarks>Design notes: docs/secure-aggregation.md, "Node notes: SecureRoundParticipation".</remarks>
public sealed class SecureRoundParticipation(
    IModelVersionReader models,
    IUpdateStreamProducer stream,
    TimeProvider clock,
    ILogger<SecureRoundParticipation> logger,
    ISecureAggregationInputObserver? observer = null,
    UpdateSigning? signing = null)
{
    private static readonly TimeSpan Linger = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<(string Task, int Round, string Client), Session> _sessions = new();

    /// <summary>True when the round's updates are securely aggregated (then the plain float32 path must not run).</summary>
    public static bool Handles(RoundStarted round) => round?.Privacy?.IsSecureAggregation == true;

    /// <summary>Sessions held right now (tests).</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>The stage at which a simulated dropout stops.</summary>
    public static SecureDropStage DropStageFor(RoundStarted round, string clientId)
    {
        ArgumentNullException.ThrowIfNull(round);
        return (new Random(ClientSeeds.For(round.Seed, round.Round, clientId + "/secagg-dropout")).Next(3)) switch
        {
            0 => SecureDropStage.BeforeAdvertiseKeys,
            1 => SecureDropStage.AfterAdvertiseKeys,
            _ => SecureDropStage.AfterShareKeys,
        };
    }

    /// <summary>
    /// Starts the protocol for the node's selected clients: every one of <paramref name="selected"/> that is in
    /// <paramref name="training"/> takes part to the end; the others are simulated dropouts.
    /// </summary>
    public async Task BeginAsync(RoundStarted round, IReadOnlyCollection<HostedClient> selected, IReadOnlyCollection<HostedClient> training,
        IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        if (!Handles(round)) return;
        Sweep();
        var info = await models.GetVersionAsync(round.TaskId, round.ModelVersion, cancellationToken);
        if (info is null)
        {
            logger.LogError("Secure round {Task}/{Round}: model version {Version} is unknown; the node's clients do not take part",
                round.TaskId, round.Round, round.ModelVersion);
            return;
        }
        SecAggRoundSetup setup;
        try
        {
            var privacy = round.Privacy;
            setup = SecAggRoundSetup.Create(round.TaskId, round.Round, round.ModelVersion, round.Seed, round.Participants, info.ParameterCount,
                privacy.SecureAggregation == SecureAggregationMode.SecAggPlus, privacy.SecureAggregationClip,
                privacy.SecureAggregationThreshold, privacy.SecureAggregationDegree);
        }
        catch (ArgumentException e)
        {
            logger.LogError("Secure round {Task}/{Round} cannot run: {Reason}", round.TaskId, round.Round, e.Message);
            return;
        }
        var trainingIds = training.Select(c => c.ClientId).ToHashSet(StringComparer.Ordinal);
        foreach (var client in selected)
        {
            var stop = trainingIds.Contains(client.ClientId) ? SecureDropStage.None : DropStageFor(round, client.ClientId);
            if (stop == SecureDropStage.BeforeAdvertiseKeys || !setup.TryGetSlot(client.ClientId, out var slot)) continue;
            var session = new Session(round, setup, client.ClientId, slot, stop);
            if (!_sessions.TryAdd((round.TaskId, round.Round, client.ClientId), session))
            {
                session.Dispose(); // a redelivered RoundStarted: the first session goes on
                continue;
            }
            AdvertiseKeys keys;
            lock (session) keys = session.Client.AdvertiseKeys();
            await publish.Publish(new SecAggClientMessage(round.TaskId, round.Round, client.ClientId, SecAggWire.Encode(keys)), cancellationToken);
        }
    }

    /// <summary>A trained client's update (its delta from the global model): masked as soon as its shares are in.</summary>
    public async Task SubmitAsync(RoundStarted round, string clientId, float[] delta, int exampleCount, LocalMetrics metrics,
        IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(delta);
        if (!_sessions.TryGetValue((round.TaskId, round.Round, clientId), out var session))
        {
            logger.LogWarning("Secure round {Task}/{Round}: {Client} has no protocol session; its update is withheld (never sent in the clear)",
                round.TaskId, round.Round, clientId);
            return;
        }
        lock (session)
        {
            if (session.Update is not null) return;
            session.Update = new TrainedUpdate(delta, exampleCount, metrics);
        }
        await TryMaskAsync(session, publish, cancellationToken);
    }

    /// <summary>A message of the aggregation service; those for clients this node does not host (in this round) are ignored.</summary>
    public async Task OnServerMessageAsync(SecAggServerMessage message, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_sessions.TryGetValue((message.TaskId, message.Round, message.RecipientClientId), out var session)) return;
        try
        {
            switch (SecAggWire.Decode(message.Payload ?? []))
            {
                case KeyDirectory directory:
                {
                    if (session.Stop == SecureDropStage.AfterAdvertiseKeys)
                    {
                        Abandon(session, "simulated dropout after advertising its keys");
                        return;
                    }
                    ShareKeys shares;
                    lock (session) shares = session.Client.ShareKeys(directory);
                    await SendAsync(session, shares, publish, cancellationToken);
                    break;
                }
                case ShareDelivery delivery:
                {
                    if (session.Stop == SecureDropStage.AfterShareKeys)
                    {
                        Abandon(session, "simulated dropout after sharing its keys");
                        return;
                    }
                    lock (session)
                    {
                        if (session.Delivery is not null) return;
                        session.Delivery = delivery;
                    }
                    await TryMaskAsync(session, publish, cancellationToken);
                    break;
                }
                case UnmaskingRequest request:
                {
                    UnmaskingResponse response;
                    lock (session) response = session.Client.Unmask(request);
                    await SendAsync(session, response, publish, cancellationToken);
                    Forget(session);
                    break;
                }
                case var other:
                    logger.LogWarning("Secure round {Task}/{Round}: {Client} got a {Kind} message, which the server does not send; ignored",
                        message.TaskId, message.Round, message.RecipientClientId, other.Kind);
                    break;
            }
        }
        catch (FormatException e)
        {
            logger.LogWarning("Secure round {Task}/{Round}: malformed message for {Client} ignored: {Reason}",
                message.TaskId, message.Round, message.RecipientClientId, e.Message);
        }
        catch (SecAggAbortedException e)
        {
            Abandon(session, $"the client refused to go on: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // A message for a stage the client has left (a redelivery): nothing to do.
            logger.LogDebug("Secure round {Task}/{Round}: message for {Client} out of order ignored: {Reason}",
                message.TaskId, message.Round, message.RecipientClientId, e.Message);
        }
    }

    private async Task TryMaskAsync(Session session, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ShareDelivery delivery;
        TrainedUpdate update;
        lock (session)
        {
            if (session.Masking || session.Delivery is null || session.Update is null) return;
            session.Masking = true;
            delivery = session.Delivery;
            update = session.Update;
        }
        var round = session.Round;
        var clip = round.Privacy.SecureAggregationClip;
        var clipped = new float[update.Delta.Length];
        for (var i = 0; i < clipped.Length; i++)
        {
            var value = update.Delta[i];
            if (float.IsNaN(value))
            {
                Abandon(session, "its update contains NaN and cannot be masked");
                return;
            }
            clipped[i] = (float)Math.Clamp(value, -clip, clip);
        }
        MaskedInput masked;
        try
        {
            observer?.Masking(round.TaskId, round.Round, session.ClientId, clipped);
            lock (session) masked = session.Client.MaskInput(delivery, clipped);
        }
        catch (SecAggAbortedException e)
        {
            Abandon(session, $"the client refused to mask: {e.Message}");
            return;
        }
        catch (ArgumentException e)
        {
            Abandon(session, $"its update cannot be masked: {e.Message}");
            return;
        }
        var slices = UpdateSliceCodec.SliceMasked(round.TaskId, round.Round, session.ClientId, masked.MaskedVector, 1, round.SliceElements).ToList();
        foreach (var slice in slices) await stream.ProduceAsync(slice, cancellationToken);
        var completion = SecAggWire.Encode(new MaskedInput(session.Slot, [], masked.Complaints));
        var manifest = new MaskedUpdateSubmitted(round.TaskId, round.Round, session.ClientId, slices.Count, masked.MaskedVector.Length,
            UpdateDigest.Of(slices), completion, update.ExampleCount, update.Metrics);
        await publish.Publish(signing?.Sign(round, manifest) ?? manifest, cancellationToken);
    }

    private Task SendAsync(Session session, ISecAggMessage message, IPublishEndpoint publish, CancellationToken cancellationToken) =>
        publish.Publish(new SecAggClientMessage(session.Round.TaskId, session.Round.Round, session.ClientId, SecAggWire.Encode(message)), cancellationToken);

    private void Abandon(Session session, string why)
    {
        logger.LogInformation("Secure round {Task}/{Round}: {Client} leaves the protocol: {Why}",
            session.Round.TaskId, session.Round.Round, session.ClientId, why);
        Forget(session);
    }

    private void Forget(Session session)
    {
        if (_sessions.TryRemove(new KeyValuePair<(string, int, string), Session>((session.Round.TaskId, session.Round.Round, session.ClientId), session)))
            lock (session) session.Dispose();
    }

    // Sessions of rounds long past their deadline (the server never asked them to unmask).
    private void Sweep()
    {
        var now = clock.GetUtcNow();
        foreach (var session in _sessions.Values)
            if (session.Round.Deadline + Linger < now) Forget(session);
    }

    private sealed record TrainedUpdate(float[] Delta, int ExampleCount, LocalMetrics Metrics);

    private sealed class Session(RoundStarted round, SecAggRoundSetup setup, string clientId, int slot, SecureDropStage stop) : IDisposable
    {
        public RoundStarted Round { get; } = round;
        public string ClientId { get; } = clientId;
        public int Slot { get; } = slot;
        public SecureDropStage Stop { get; } = stop;
        public SecAggClient Client { get; } = new(setup.Parameters, slot);
        public ShareDelivery? Delivery { get; set; }
        public TrainedUpdate? Update { get; set; }
        public bool Masking { get; set; }

        public void Dispose() => Client.Dispose();
    }
}
