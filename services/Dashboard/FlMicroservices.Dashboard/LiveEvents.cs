namespace FlMicroservices.Dashboard;

/// <summary>Platform events the dashboard received, fanned out to every open page (each page's circuit re-renders from them).</summary>
public sealed class LiveEvents
{
    private readonly Lock _gate = new();
    private readonly List<Func<LiveEvent, Task>> _listeners = [];

    /// <summary>Calls <paramref name="listener"/> with every event from now until the returned handle is disposed.</summary>
    public IDisposable Subscribe(Func<LiveEvent, Task> listener)
    {
        lock (_gate) _listeners.Add(listener);
        return new Subscription(this, listener);
    }

    /// <summary>Hands <paramref name="message"/> to every listener; a listener that fails (a closed page) does not stop the others.</summary>
    public async Task PublishAsync(string taskId, object message)
    {
        Func<LiveEvent, Task>[] listeners;
        lock (_gate) listeners = [.. _listeners];
        var live = new LiveEvent(taskId, message, DateTimeOffset.UtcNow);
        foreach (var listener in listeners)
        {
            try { await listener(live).ConfigureAwait(false); }
            catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or TaskCanceledException) { }
        }
    }

    private sealed class Subscription(LiveEvents owner, Func<LiveEvent, Task> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate) owner._listeners.Remove(listener);
        }
    }
}

/// <summary>An event of the platform about <see cref="TaskId"/>, as the dashboard received it.</summary>
public sealed record LiveEvent(string TaskId, object Message, DateTimeOffset ReceivedAt);
