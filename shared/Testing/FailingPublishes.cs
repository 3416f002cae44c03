using MassTransit;

namespace FlMicroservices.Testing;

/// <summary>A publish observer that fails the first <c>times</c> publishes of the message type named <c>messageType</c>, as a broker that goes away would.</summary>
public sealed class FailingPublishes(string messageType, int times) : IPublishObserver
{
    private int _attempts;
    private int _failed;

    /// <summary>How many publishes it failed.</summary>
    public int Failed => _failed;

    public Task PrePublish<T>(PublishContext<T> context) where T : class
    {
        if (typeof(T).Name != messageType || Interlocked.Increment(ref _attempts) > times) return Task.CompletedTask;
        Interlocked.Increment(ref _failed);
        throw new IOException($"injected: publishing {messageType} failed");
    }

    public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}
