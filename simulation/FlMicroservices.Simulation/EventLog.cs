using System.Collections.Concurrent;
using System.Threading.Channels;

namespace FlMicroservices.Simulation;

/// <summary>Every platform event the simulation observed, in the order it observed them.</summary>
public sealed class EventLog
{
    private readonly ConcurrentQueue<ObservedEvent> _all = new();
    private readonly Channel<ObservedEvent> _live = Channel.CreateUnbounded<ObservedEvent>(new UnboundedChannelOptions { SingleReader = true });

    public IReadOnlyCollection<ObservedEvent> All => _all.ToArray();

    public ChannelReader<ObservedEvent> Live => _live.Reader;

    public void Add(object message)
    {
        var observed = new ObservedEvent(message, DateTimeOffset.UtcNow);
        _all.Enqueue(observed);
        _live.Writer.TryWrite(observed);
    }
}

/// <summary>One observed event and when it was seen.</summary>
public sealed record ObservedEvent(object Message, DateTimeOffset SeenAt);
