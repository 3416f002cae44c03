using System.Diagnostics;
using Confluent.Kafka;
using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.UpdateStream;
using FlMicroservices.KafkaMock;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlMicroservices.Cli.Bench;

/// <summary>
/// Update throughput through Kafka and aggregation, as a ratio to raw produce+consume of the same bytes with Confluent.Kafka,
/// both measured in the same run against the same cluster (librdkafka's mock cluster unless --kafka names a real one).
/// </summary>
/// <remarks>
/// <para>Raw: pre-encoded slice records are produced (same producer settings: idempotent, lz4, same linger) and consumed
/// as bytes by one consumer. Pipeline: each client's update is cut into slices and encoded by the platform's producer
/// (<see cref="KafkaUpdateStream"/>), consumed by the aggregation consumer group, decoded, checked and folded into a FedAvg
/// round (<see cref="RoundAggregation"/>), each record committed after its fold.</para>
/// <para>The mock cluster keeps only about 5 MiB per partition, so both runs keep at most <see cref="WindowBytes"/> in
/// flight (produced but not yet consumed); the same window applies to both, so it cancels in the ratio.</para>
/// </remarks>
public static class StreamBenchmark
{
    public const long WindowBytes = 8L << 20;

    public sealed record Result(
        int clients, int parameters, int slices_per_update, long update_bytes,
        double raw_gbps, double pipeline_gbps, double ratio,
        double raw_seconds, double pipeline_seconds, string cluster, bool aggregate_checked);

    public static async Task<Result> RunAsync(int clients, int parameters, string? bootstrap, Action<string>? log = null)
    {
        using var mock = bootstrap is null ? new MockKafkaCluster() : null;
        var servers = bootstrap ?? mock!.BootstrapServers;
        var sliceElements = UpdateSliceCodec.MaxElements;
        var updates = MakeUpdates(clients, parameters, seed: 7);
        var bytes = (long)clients * parameters * sizeof(float);
        var run = Guid.NewGuid().ToString("N")[..8];

        // Warm-up of both paths (JIT, connections), untimed.
        await RawAsync(servers, $"bench-warm-raw-{run}", updates.Take(1).ToArray(), sliceElements);
        await PipelineAsync(servers, $"bench-warm-pipe-{run}", updates.Take(1).ToArray(), parameters, sliceElements);

        log?.Invoke("raw produce+consume ...");
        var raw = await RawAsync(servers, $"bench-raw-{run}", updates, sliceElements);
        log?.Invoke($"raw: {raw.TotalSeconds:F2} s; pipeline ...");
        var (pipeline, aggregate) = await PipelineAsync(servers, $"bench-pipe-{run}", updates, parameters, sliceElements);
        log?.Invoke($"pipeline: {pipeline.TotalSeconds:F2} s");

        // The aggregate must be the exact FedAvg of the updates, or the throughput means nothing.
        var expected = new WeightedSliceSums(parameters, sliceElements);
        foreach (var update in updates)
            for (var s = 0; s < expected.SliceCount; s++)
                expected.Fold(s, update.AsSpan(s * sliceElements, expected.SliceLength(s)), 10);
        var mean = new float[parameters];
        expected.WriteMean(mean);
        var ok = mean.AsSpan().SequenceEqual(aggregate);

        var rawGbps = bytes / raw.TotalSeconds / 1e9;
        var pipeGbps = bytes / pipeline.TotalSeconds / 1e9;
        return new Result(clients, parameters, UpdateSliceCodec.SliceCountFor(parameters, sliceElements), (long)parameters * 4,
            Math.Round(rawGbps, 4), Math.Round(pipeGbps, 4), Math.Round(pipeGbps / rawGbps, 3),
            Math.Round(raw.TotalSeconds, 3), Math.Round(pipeline.TotalSeconds, 3),
            bootstrap is null ? "librdkafka mock cluster (in process)" : bootstrap, ok);
    }

    private static float[][] MakeUpdates(int clients, int parameters, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, clients).Select(_ =>
        {
            var u = new float[parameters];
            for (var i = 0; i < u.Length; i++) u[i] = (float)(rng.NextDouble() - 0.5) * 0.01f;
            return u;
        }).ToArray();
    }

    private static ProducerConfig ProducerConfig(string servers) => new()
    {
        BootstrapServers = servers,
        EnableIdempotence = true,
        Acks = Acks.All,
        CompressionType = CompressionType.Lz4,
        LingerMs = 5,
        MessageMaxBytes = 1_000_000,
        BatchSize = 1_000_000,
        Partitioner = Partitioner.Murmur2Random,
    };

    private static async Task<TimeSpan> RawAsync(string servers, string topic, float[][] updates, int sliceElements)
    {
        var records = updates.SelectMany((u, c) => UpdateSliceCodec.Slice("bench", 1, $"c{c:D5}", u, 10, sliceElements))
            .Select(s => (Key: KafkaUpdateStream.KeyBytes(s.PartitionKey), Value: UpdateSliceCodec.Encode(s))).ToArray();
        using var producer = new ProducerBuilder<byte[], byte[]>(ProducerConfig(servers)).Build();
        await producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = [0, 0, 0, 0], Value = [1] }); // creates the topic
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = servers, GroupId = topic, AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchMaxBytes = 64 << 20, MaxPartitionFetchBytes = 8 << 20,
        }).Build();
        consumer.Subscribe(topic);
        while (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { Message: not null }) { } // joined, warm-up record read
        var flow = new FlowWindow();
        var watch = Stopwatch.StartNew();
        var consuming = Task.Run(() =>
        {
            for (var seen = 0; seen < records.Length;)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result?.Message is null) continue;
                flow.Consumed(result.Message.Value.Length);
                seen++;
            }
        });
        foreach (var (key, value) in records)
        {
            await flow.WaitForRoomAsync(value.Length);
            producer.Produce(topic, new Message<byte[], byte[]> { Key = key, Value = value });
        }
        producer.Flush(TimeSpan.FromSeconds(60));
        await consuming;
        return watch.Elapsed;
    }

    private static async Task<(TimeSpan, float[])> PipelineAsync(string servers, string topic, float[][] updates, int parameters, int sliceElements)
    {
        var options = new UpdateStreamOptions { Transport = "Kafka", Topic = topic };
        using var stream = new KafkaUpdateStream(servers, options,
            ExternalCallResilience.Create("kafka", new ResilienceOptions(), KafkaUpdateStream.IsTransient), NullLoggerFactory.Instance);
        await stream.ProduceRawAsync(0, [1], CancellationToken.None); // creates the topic; malformed, so the pipeline must skip it
        var participants = Enumerable.Range(0, updates.Length).Select(c => $"c{c:D5}").ToArray();
        var started = new RoundStarted("bench", 1, 0, participants, DateTimeOffset.MaxValue, new TrainingConfig(1, 1, 0.1), PrivacyConfig.None,
            sliceElements, "bench", "fedavg", [], 1.0, 1);
        var round = new RoundAggregation(started, parameters, StrategyCatalog.Create("fedavg"));
        var sliceCount = UpdateSliceCodec.SliceCountFor(parameters, sliceElements);
        var total = updates.Length * sliceCount;
        var flow = new FlowWindow();
        var digests = new string[updates.Length];
        await using var consumer = stream.Create(topic);
        using var ready = new SemaphoreSlim(0);
        var consuming = Task.Run(async () =>
        {
            var folded = 0;
            await foreach (var record in consumer.ConsumeAsync(CancellationToken.None))
            {
                UpdateSlice slice;
                try { slice = UpdateSliceCodec.Decode(record.Value); }
                catch (MalformedSliceException) { await consumer.CommitAsync(record, CancellationToken.None); ready.Release(); continue; }
                if (round.Fold(slice) != SliceOutcome.Folded) throw new InvalidOperationException($"slice {slice.SliceIndex} of {slice.ClientId} was not folded");
                await consumer.CommitAsync(record, CancellationToken.None);
                flow.Consumed(record.Value.Length);
                if (++folded == total) break;
            }
        });
        await ready.WaitAsync(); // joined, warm-up record read
        var watch = Stopwatch.StartNew();
        for (var c = 0; c < updates.Length; c++)
        {
            var slices = UpdateSliceCodec.Slice("bench", 1, participants[c], updates[c], 10, sliceElements).ToList();
            digests[c] = UpdateDigest.Of(slices);
            foreach (var slice in slices)
            {
                await flow.WaitForRoomAsync(slice.Payload.Length + 64);
                await stream.ProduceAsync(slice, CancellationToken.None);
            }
        }
        await consuming;
        var elapsed = watch.Elapsed;
        var result = new float[parameters];
        var zeros = new float[parameters];
        for (var c = 0; c < participants.Length; c++)
            round.AcceptManifest(new UpdateSubmitted("bench", 1, participants[c], 10, sliceCount, parameters, digests[c], null, new LocalMetrics(0, 0, 0)));
        var delta = round.Close(zeros, result);
        if (!delta.Succeeded) throw new InvalidOperationException(delta.FailureReason);
        return (elapsed, result);
    }

    /// <summary>Keeps produced-but-unconsumed bytes under <see cref="WindowBytes"/> (the mock's retention would drop them).</summary>
    private sealed class FlowWindow
    {
        private long _inFlight;

        public void Consumed(int bytes) => Interlocked.Add(ref _inFlight, -bytes);

        public async ValueTask WaitForRoomAsync(int bytes)
        {
            while (Interlocked.Read(ref _inFlight) + bytes > WindowBytes) await Task.Delay(1);
            Interlocked.Add(ref _inFlight, bytes);
        }
    }
}
