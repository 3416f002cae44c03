using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Node;

/// <summary>Sends a hosted client's trained update on its way to aggregation; a simulation decorates it (an attack, for one).</summary>
public interface IUpdateUplink
{
    /// <summary>Sends <paramref name="delta"/>, the client's update (trained model minus global model) for this round.</summary>
    Task SendAsync(RoundStarted round, string clientId, float[] delta, int exampleCount, LocalMetrics metrics,
        IPublishEndpoint publish, CancellationToken cancellationToken);
}
