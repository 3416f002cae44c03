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

/// <summary>One record as read from the stream, still encoded, so a malformed one can be rejected with a reason.</summary>
public sealed record StreamRecord(int Partition, long Offset, ReadOnlyMemory<byte> Value);
