using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Confluent.Kafka;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.Telemetry;
using Microsoft.Extensions.Logging;
using Polly;

namespace FlMicroservices.Infrastructure.UpdateStream;

/// <summary>The update stream over Kafka (Confluent.Kafka): one topic, records keyed by slice index.</summary>
/// <remarks>
/// <para>Every record's key is the slice's partition key (its slice index, 4 bytes big-endian), so Kafka's key hashing puts
/// slice i of every client on the same partition: an aggregation instance that owns a partition sees every client's
/// copy of the slices it owns, in order. Values are FLS1-encoded slices of at most 256 KiB, below Kafka's default 1 MB
/// message limit (and the mock cluster's per-partition retention).</para>
/// <para>The producer is idempotent (no duplicates or reordering from its own retries; acks=all) and compresses batches
/// with lz4 or zstd. Consumers never auto-commit: the caller commits a record once its effect is durable.</para>
/// </remarks>
public sealed class KafkaUpdateStream : IUpdateStreamProducer, IUpdateStreamConsumerFactory, IUpdateStreamReader, IDisposable
{
    private readonly string _bootstrapServers;
    private readonly UpdateStreamOptions _options;
    private readonly KafkaSecurityOptions _security;
    private readonly ResiliencePipeline _resilience;
    private readonly ILoggerFactory _loggers;
    private readonly Lazy<IProducer<byte[], byte[]>> _producer;

    public KafkaUpdateStream(string bootstrapServers, UpdateStreamOptions options, ResiliencePipeline resilience, ILoggerFactory loggers,
        KafkaSecurityOptions? security = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bootstrapServers);
        ArgumentNullException.ThrowIfNull(options);
        _bootstrapServers = bootstrapServers;
        _options = options;
        _security = security ?? new KafkaSecurityOptions();
        _resilience = resilience;
        _loggers = loggers;
        _producer = new Lazy<IProducer<byte[], byte[]>>(CreateProducer);
    }

    public string Topic => _options.Topic;

    public Task ProduceAsync(UpdateSlice slice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slice);
        return ProduceRawAsync(slice.PartitionKey, UpdateSliceCodec.Encode(slice), cancellationToken);
    }

    /// <summary>Writes already-encoded bytes under the key of slice <paramref name="key"/> (tests use it for malformed records).</summary>
    public async Task ProduceRawAsync(int key, byte[] value, CancellationToken cancellationToken)
    {
        var message = new Message<byte[], byte[]> { Key = KeyBytes(key), Value = value, Headers = TraceHeaders() };
        FlTelemetry.UpdateBytesSent(value.Length);
        await _resilience.ExecuteAsync(
            async token => await _producer.Value.ProduceAsync(_options.Topic, message, token),
            cancellationToken);
    }

    /// <summary>Waits until every produced record is acknowledged.</summary>
    public void Flush(TimeSpan timeout)
    {
        if (_producer.IsValueCreated) _producer.Value.Flush(timeout);
    }

    public IUpdateStreamConsumer Create(string groupId)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        var config = new ConsumerConfig
        {
            BootstrapServers = _bootstrapServers,
            GroupId = groupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            // Records are at most 256 KiB; fetch whole batches of them.
            FetchMaxBytes = 64 * 1024 * 1024,
            MaxPartitionFetchBytes = 8 * 1024 * 1024,
            SessionTimeoutMs = 10_000,
            HeartbeatIntervalMs = 1_000,
        };
        _security.ApplyTo(config);
        return new Consumer(config, _options, _loggers.CreateLogger<KafkaUpdateStream>());
    }

    /// <summary>
    /// Reads records back with a short-lived consumer assigned to their partitions (no group membership, nothing committed).
    /// Kafka keeps records for its retention time whatever consumers commit, so records of an open round can be read again.
    /// </summary>
    public async Task<IReadOnlyList<StreamRecord>> ReadAsync(IReadOnlyList<StreamPosition> positions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(positions);
        if (positions.Count == 0) return [];
        var config = new ConsumerConfig
        {
            BootstrapServers = _bootstrapServers,
            GroupId = $"{_options.Topic}-reader-{Guid.NewGuid():N}", // required by the client; never joined, nothing committed
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Error,
            MaxPartitionFetchBytes = 1024 * 1024,
        };
        _security.ApplyTo(config);
        return await Task.Run(() =>
        {
            var found = new Dictionary<StreamPosition, StreamRecord>();
            using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            foreach (var wanted in positions.Distinct().OrderBy(p => p.Partition).ThenBy(p => p.Offset))
            {
                if (found.ContainsKey(wanted)) continue;
                consumer.Assign(new TopicPartitionOffset(_options.Topic, wanted.Partition, wanted.Offset));
                while (!found.ContainsKey(wanted))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (DateTime.UtcNow > deadline)
                        throw new UpdateStreamReadException($"The record at partition {wanted.Partition}, offset {wanted.Offset} could not be read back within 30 s.");
                    ConsumeResult<byte[], byte[]>? result;
                    try
                    {
                        result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                    }
                    catch (ConsumeException e)
                    {
                        throw new UpdateStreamReadException($"The record at partition {wanted.Partition}, offset {wanted.Offset} could not be read back: {e.Error.Reason}", e);
                    }
                    if (result?.Message is null) continue;
                    var position = new StreamPosition(result.Partition.Value, result.Offset.Value);
                    found[position] = new StreamRecord(position.Partition, position.Offset, result.Message.Value ?? [], TraceParent(result.Message.Headers));
                    if (position.Partition == wanted.Partition && position.Offset > wanted.Offset)
                        throw new UpdateStreamReadException($"The record at partition {wanted.Partition}, offset {wanted.Offset} is no longer in the topic.");
                }
            }
            consumer.Close();
            return (IReadOnlyList<StreamRecord>)positions.Select(p => found[p]).ToArray();
        }, cancellationToken);
    }

    // W3C trace context of the producing span, so the aggregation's fold continues the round's trace across Kafka.
    private static Headers? TraceHeaders() =>
        FlTelemetry.CurrentTraceParent() is { } parent ? new Headers { { FlTelemetry.TraceParentHeader, System.Text.Encoding.ASCII.GetBytes(parent) } } : null;

    private static string? TraceParent(Headers? headers) =>
        headers is not null && headers.TryGetLastBytes(FlTelemetry.TraceParentHeader, out var bytes) ? System.Text.Encoding.ASCII.GetString(bytes) : null;

    public static byte[] KeyBytes(int key)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, key);
        return bytes;
    }

    public static bool IsTransient(Exception e) => e switch
    {
        ProduceException<byte[], byte[]> p => p.Error.Code is ErrorCode.Local_QueueFull or ErrorCode.Local_MsgTimedOut or ErrorCode.RequestTimedOut
            or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.LeaderNotAvailable or ErrorCode.NotLeaderForPartition
            or ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown,
        KafkaException k => k.Error.IsLocalError && !k.Error.IsFatal,
        _ => false,
    };

    private IProducer<byte[], byte[]> CreateProducer()
    {
        var logger = _loggers.CreateLogger<KafkaUpdateStream>();
        var config = new ProducerConfig
        {
            BootstrapServers = _bootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            CompressionType = _options.Compression == "zstd" ? CompressionType.Zstd : CompressionType.Lz4,
            LingerMs = _options.LingerMs,
            MessageMaxBytes = 1_000_000,
            BatchSize = 1_000_000,
            Partitioner = Partitioner.Murmur2Random, // Java clients' key hashing: every client agrees where slice i goes
        };
        _security.ApplyTo(config);
        return new ProducerBuilder<byte[], byte[]>(config)
            .SetErrorHandler((_, error) => logger.LogWarning("Kafka producer: {Reason} ({Code})", error.Reason, error.Code))
            .Build();
    }

    /// <summary>Flushes and closes the producer; idempotent (a DI container disposes a singleton registered under several interfaces once per registration).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || !_producer.IsValueCreated) return;
        _producer.Value.Flush(TimeSpan.FromSeconds(10));
        _producer.Value.Dispose();
    }

    private int _disposed;

    private sealed class Consumer : IUpdateStreamConsumer
    {
        private readonly IConsumer<byte[], byte[]> _consumer;
        private readonly UpdateStreamOptions _options;
        private readonly ILogger _logger;
        private bool _disposed;

        public Consumer(ConsumerConfig config, UpdateStreamOptions options, ILogger logger)
        {
            _options = options;
            _logger = logger;
            _consumer = new ConsumerBuilder<byte[], byte[]>(config)
                .SetErrorHandler((_, error) => logger.LogWarning("Kafka consumer: {Reason} ({Code})", error.Reason, error.Code))
                .SetPartitionsAssignedHandler((_, partitions) => logger.LogInformation("Kafka consumer assigned {Partitions}", string.Join(",", partitions.Select(p => p.Partition.Value))))
                .Build();
            _consumer.Subscribe(options.Topic);
        }

        public async IAsyncEnumerable<StreamRecord> ConsumeAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var poll = TimeSpan.FromMilliseconds(_options.PollMs);
            while (!cancellationToken.IsCancellationRequested)
            {
                ConsumeResult<byte[], byte[]>? result = null;
                try
                {
                    result = _consumer.Consume(poll);
                }
                catch (ConsumeException e) when (e.Error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic or ErrorCode.Local_UnknownPartition)
                {
                    // Subscribed before the first producer created the topic: keep polling.
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    _logger.LogWarning("Kafka consume error: {Reason}", e.Error.Reason);
                }
                if (result?.Message is null || result.IsPartitionEOF)
                {
                    await Task.Yield();
                    continue;
                }
                yield return new StreamRecord(result.Partition.Value, result.Offset.Value, result.Message.Value ?? [], TraceParent(result.Message.Headers));
            }
        }

        public ValueTask CommitAsync(StreamRecord record, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(record);
            _consumer.Commit([new TopicPartitionOffset(_options.Topic, record.Partition, record.Offset + 1)]);
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            if (_disposed) return ValueTask.CompletedTask;
            _disposed = true;
            try
            {
                _consumer.Close(); // leaves the group at once so its partitions are reassigned without waiting for the session timeout
            }
            catch (KafkaException e)
            {
                _logger.LogWarning("Closing the Kafka consumer: {Reason}", e.Error.Reason);
            }
            _consumer.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
