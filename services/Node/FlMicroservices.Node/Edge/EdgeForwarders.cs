using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Node.Edge;

/// <summary>Sends what the node publishes on its local bus to the edge, which publishes it on the node's behalf.</summary>
/// <remarks>A refusal (4xx other than 429) is logged with the edge's reason and not retried; a transient failure is thrown, so the
/// bus retries it.</remarks>
public abstract class EdgeForwarder<T>(EdgeClient edge, string path, ILogger logger) : IConsumer<T> where T : class
{
    public async Task Consume(ConsumeContext<T> context)
    {
        try
        {
            await BeforeAsync(context.Message, context.CancellationToken);
            await edge.PostJsonAsync(path, context.Message, context.CancellationToken);
        }
        catch (EdgeRequestException e) when (!e.IsTransient)
        {
            logger.LogError("{Message} not delivered: {Reason}", typeof(T).Name, e.Message);
        }
    }

    /// <summary>What must reach the edge before the message (a manifest's slices).</summary>
    protected virtual Task BeforeAsync(T message, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Forwards a client's registration.</summary>
public sealed class RegisterClientForwarder(EdgeClient edge, ILogger<RegisterClientForwarder> logger) : EdgeForwarder<RegisterClient>(edge, EdgeApi.Register, logger);

/// <summary>Forwards a client's heartbeat.</summary>
public sealed class ClientHeartbeatForwarder(EdgeClient edge, ILogger<ClientHeartbeatForwarder> logger) : EdgeForwarder<ClientHeartbeat>(edge, EdgeApi.Heartbeat, logger);

/// <summary>Forwards a secure-aggregation protocol message.</summary>
public sealed class SecAggClientMessageForwarder(EdgeClient edge, ILogger<SecAggClientMessageForwarder> logger) : EdgeForwarder<SecAggClientMessage>(edge, EdgeApi.SecAgg, logger);

/// <summary>Forwards a client's decline of a round.</summary>
public sealed class UpdateDeclinedForwarder(EdgeClient edge, ILogger<UpdateDeclinedForwarder> logger) : EdgeForwarder<UpdateDeclined>(edge, EdgeApi.Decline, logger);

/// <summary>Ends the update's upload, then forwards its manifest.</summary>
public sealed class UpdateSubmittedForwarder(EdgeClient edge, EdgeUploads uploads, ILogger<UpdateSubmittedForwarder> logger)
    : EdgeForwarder<UpdateSubmitted>(edge, EdgeApi.Manifest, logger)
{
    protected override Task BeforeAsync(UpdateSubmitted message, CancellationToken cancellationToken) =>
        uploads.CompleteAsync(message.TaskId, message.Round, message.ClientId, cancellationToken);
}

/// <summary>Ends the masked update's upload, then forwards its manifest.</summary>
public sealed class MaskedUpdateSubmittedForwarder(EdgeClient edge, EdgeUploads uploads, ILogger<MaskedUpdateSubmittedForwarder> logger)
    : EdgeForwarder<MaskedUpdateSubmitted>(edge, EdgeApi.MaskedManifest, logger)
{
    protected override Task BeforeAsync(MaskedUpdateSubmitted message, CancellationToken cancellationToken) =>
        uploads.CompleteAsync(message.TaskId, message.Round, message.ClientId, cancellationToken);
}
