using MassTransit;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>
/// Expiry of per-instance queues (a node's own RoundStarted queue): RabbitMQ deletes such a queue once it has had no
/// consumer for <see cref="Default"/>, so a stopped node's queue does not collect events forever. No effect in memory.
/// </summary>
public static class QueueExpiry
{
    public static readonly TimeSpan Default = TimeSpan.FromMinutes(10);

    /// <summary>An endpoint callback that sets the queue's expiry (x-expires) on RabbitMQ.</summary>
    public static Action<IReceiveEndpointConfigurator> After(TimeSpan unused) => endpoint =>
    {
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.QueueExpiration = unused;
    };
}
