using FlMicroservices.Contracts.Wire;

namespace FlMicroservices.Infrastructure.UpdateStream;

/// <summary>The producer side of the update stream: clients write their update slices here.</summary>
public interface IUpdateStreamProducer
{
    /// <summary>Writes one slice to the partition of its slice index.</summary>
    Task ProduceAsync(UpdateSlice slice, CancellationToken cancellationToken);
}

/// <summary>Creates consumers; all consumers of one group share the partitions between them.</summary>
public interface IUpdateStreamConsumerFactory
{
    IUpdateStreamConsumer Create(string groupId);
}

/// <summary>A member of a consumer group: reads raw records from its partitions and commits them once they are durable.</summary>
public interface IUpdateStreamConsumer : IAsyncDisposable
{
    /// <summary>Records from the committed offset on, in order within each partition; waits for new ones.</summary>
    IAsyncEnumerable<StreamRecord> ConsumeAsync(CancellationToken cancellationToken);

    /// <summary>Marks every record of the partition up to and including <paramref name="record"/> as processed.</summary>
    ValueTask CommitAsync(StreamRecord record, CancellationToken cancellationToken);
}

/// <summary>Reads records back by their position, for a consumer that must see some again (taking back a rejected client's slices).</summary>
public interface IUpdateStreamReader
{
    /// <summary>The records at <paramref name="positions"/>, in the same order.</summary>
    /// <exception cref="UpdateStreamReadException">A record is no longer held (retention released it) or could not be read in time.</exception>
    Task<IReadOnlyList<StreamRecord>> ReadAsync(IReadOnlyList<StreamPosition> positions, CancellationToken cancellationToken);
}

/// <summary>Where a record lies in the stream.</summary>
public readonly record struct StreamPosition(int Partition, long Offset);

/// <summary>A record could not be read back.</summary>
public sealed class UpdateStreamReadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One record as read from the stream, still encoded, so a malformed one can be rejected with a reason.</summary>
/// <param name="TraceParent">The W3C trace context the producer wrote with the record (null when it was not traced).</param>
public sealed record StreamRecord(int Partition, long Offset, ReadOnlyMemory<byte> Value, string? TraceParent = null)
{
    public StreamPosition Position => new(Partition, Offset);
}
