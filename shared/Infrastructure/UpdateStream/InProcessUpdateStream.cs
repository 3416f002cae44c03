using System.Runtime.CompilerServices;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.Telemetry;

namespace FlMicroservices.Infrastructure.UpdateStream;

/// <summary>The embedded update stream: an in-memory partitioned log with Kafka's keying, ordering and commit semantics.</summary>
/// <remarks>
/// Slice i goes to partition i mod N, records keep their order within a partition, each consumer group
/// resumes from its committed offsets, and records below every group's committed offset are released
/// (as retention would) so long simulations run in bounded memory. The embedded mode has one consumer
/// per group, which owns every partition.
/// </remarks>
public sealed class InProcessUpdateStream : IUpdateStreamProducer, IUpdateStreamConsumerFactory, IUpdateStreamReader
{
    private readonly object _gate = new();
    private readonly List<byte[]?>[] _partitions;
    private readonly List<string?>[] _traceParents; // per record, like Kafka's traceparent header
    private readonly long[] _released;
    private readonly Dictionary<string, long[]> _committed = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = NewSignal();

    public InProcessUpdateStream(int partitionCount = 4)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        _partitions = Enumerable.Range(0, partitionCount).Select(_ => new List<byte[]?>()).ToArray();
        _traceParents = Enumerable.Range(0, partitionCount).Select(_ => new List<string?>()).ToArray();
        _released = new long[partitionCount];
    }

    public int PartitionCount => _partitions.Length;

    /// <summary>Bytes currently held (not yet released by every group's commits).</summary>
    public long RetainedBytes
    {
        get { lock (_gate) return _partitions.Sum(p => p.Sum(r => (long)(r?.Length ?? 0))); }
    }

    public Task ProduceAsync(UpdateSlice slice, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var bytes = UpdateSliceCodec.Encode(slice);
        return ProduceRawAsync(slice.PartitionKey, bytes, cancellationToken);
    }

    /// <summary>Writes already-encoded bytes; used to test how consumers treat malformed records.</summary>
    public Task ProduceRawAsync(int key, byte[] bytes, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        FlTelemetry.UpdateBytesSent(bytes.Length);
        TaskCompletionSource signal;
        lock (_gate)
        {
            var partition = (int)((uint)key % (uint)_partitions.Length);
            _partitions[partition].Add(bytes);
            _traceParents[partition].Add(FlTelemetry.CurrentTraceParent());
            signal = _changed;
            _changed = NewSignal();
        }
        signal.TrySetResult();
        return Task.CompletedTask;
    }

    public IUpdateStreamConsumer Create(string groupId)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        lock (_gate)
        {
            if (!_committed.ContainsKey(groupId)) _committed[groupId] = new long[_partitions.Length];
        }
        return new Consumer(this, groupId);
    }

    public Task<IReadOnlyList<StreamRecord>> ReadAsync(IReadOnlyList<StreamPosition> positions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(positions);
        cancellationToken.ThrowIfCancellationRequested();
        var records = new StreamRecord[positions.Count];
        lock (_gate)
        {
            for (var i = 0; i < records.Length; i++)
            {
                var (partition, offset) = (positions[i].Partition, positions[i].Offset);
                if ((uint)partition >= (uint)_partitions.Length || offset < 0 || offset >= _partitions[partition].Count)
                    throw new UpdateStreamReadException($"The stream has no record at partition {partition}, offset {offset}.");
                var value = _partitions[partition][(int)offset]
                    ?? throw new UpdateStreamReadException($"The record at partition {partition}, offset {offset} was released: every consumer group had committed it.");
                records[i] = new StreamRecord(partition, offset, value, _traceParents[partition][(int)offset]);
            }
        }
        return Task.FromResult<IReadOnlyList<StreamRecord>>(records);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Commit(string group, int partition, long offset)
    {
        lock (_gate)
        {
            var offsets = _committed[group];
            offsets[partition] = Math.Max(offsets[partition], offset + 1);
            var floor = _committed.Values.Min(o => o[partition]);
            var log = _partitions[partition];
            for (var i = _released[partition]; i < floor; i++) (log[(int)i], _traceParents[partition][(int)i]) = (null, null);
            _released[partition] = Math.Max(_released[partition], floor);
        }
    }

    private sealed class Consumer(InProcessUpdateStream stream, string group) : IUpdateStreamConsumer
    {
        public async IAsyncEnumerable<StreamRecord> ConsumeAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            long[] position;
            lock (stream._gate) position = (long[])stream._committed[group].Clone();
            var batch = new List<StreamRecord>();
            while (!cancellationToken.IsCancellationRequested)
            {
                Task changed;
                lock (stream._gate)
                {
                    changed = stream._changed.Task;
                    for (var p = 0; p < stream._partitions.Length; p++)
                    {
                        var log = stream._partitions[p];
                        position[p] = Math.Max(position[p], stream._released[p]);
                        for (; position[p] < log.Count; position[p]++)
                            batch.Add(new StreamRecord(p, position[p], log[(int)position[p]]!, stream._traceParents[p][(int)position[p]]));
                    }
                }
                foreach (var record in batch) yield return record;
                if (batch.Count == 0)
                {
                    try { await changed.WaitAsync(cancellationToken).ConfigureAwait(false); }
                    catch (OperationCanceledException) { yield break; }
                }
                batch.Clear();
            }
        }

        public ValueTask CommitAsync(StreamRecord record, CancellationToken cancellationToken)
        {
            stream.Commit(group, record.Partition, record.Offset);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
