using System.Collections.Concurrent;
using System.Threading.Channels;

namespace FlMicroservices.Edge;

/// <summary>The connected nodes' server-push channels: each connection gets its own bounded queue of events.</summary>
/// <remarks>A node that does not read its channel loses the oldest events rather than growing the edge's memory.</remarks>
public sealed class PushChannels
{
    /// <summary>Events queued per connection before the oldest is dropped.</summary>
    public const int Capacity = 1_024;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Guid, Channel<PushEvent>>> _nodes = new(StringComparer.Ordinal);

    /// <summary>Opens a channel for a connection of <paramref name="nodeId"/>; dispose the lease when it ends.</summary>
    public Lease Open(string nodeId)
    {
        var channel = Channel.CreateBounded<PushEvent>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var id = Guid.NewGuid();
        _nodes.GetOrAdd(nodeId, _ => new ConcurrentDictionary<Guid, Channel<PushEvent>>())[id] = channel;
        return new Lease(this, nodeId, id, channel.Reader);
    }

    /// <summary>How many connections <paramref name="nodeId"/> has open.</summary>
    public int Connections(string nodeId) => _nodes.TryGetValue(nodeId, out var open) ? open.Count : 0;

    /// <summary>Queues <paramref name="item"/> on every open connection of <paramref name="nodeId"/>.</summary>
    public void Send(string nodeId, PushEvent item)
    {
        if (!_nodes.TryGetValue(nodeId, out var open)) return;
        foreach (var channel in open.Values) channel.Writer.TryWrite(item);
    }

    private void Close(string nodeId, Guid id)
    {
        if (_nodes.TryGetValue(nodeId, out var open) && open.TryRemove(id, out var channel)) channel.Writer.TryComplete();
    }

    /// <summary>One connection's channel.</summary>
    public sealed class Lease(PushChannels owner, string nodeId, Guid id, ChannelReader<PushEvent> reader) : IDisposable
    {
        public ChannelReader<PushEvent> Reader { get; } = reader;

        public void Dispose() => owner.Close(nodeId, id);
    }
}

/// <summary>One server-sent event: its name and JSON data.</summary>
public sealed record PushEvent(string Name, string Json);
