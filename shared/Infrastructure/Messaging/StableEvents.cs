using MassTransit;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>The publish step of every service's outbox: an event goes out with the stable id of <see cref="EventIds"/>, so a republished copy repeats it.</summary>
public static class StableEvents
{
    /// <summary>Publishes <paramref name="message"/> with the id <see cref="EventIds.For"/> gives its type, task and round (0 for a task-level event).</summary>
    public static Task PublishStableAsync<T>(this IPublishEndpoint publish, T message, string taskId, int round, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(publish);
        var id = EventIds.For(typeof(T).Name, taskId, round);
        return publish.Publish(message, context => context.MessageId = id, cancellationToken);
    }
}
