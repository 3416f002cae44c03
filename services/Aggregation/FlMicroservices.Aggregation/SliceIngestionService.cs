using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.Telemetry;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Aggregation;

/// <summary>Reads update slices from the stream as a member of the "aggregation" consumer group and folds them.</summary>
/// <remarks>Design notes: docs/architecture.md, "Notes: SliceIngestionService".</remarks>
public sealed class SliceIngestionService(
    IUpdateStreamConsumerFactory streams,
    UpdateRouter router,
    RoundCheckpointer checkpointer,
    AggregationCheckpoints checkpoints,
    IOptions<AggregationOptions> options,
    ILogger<SliceIngestionService> logger) : BackgroundService
{
    public const string ConsumerGroup = "aggregation";

    // Not disposed: it holds no wait handle, and the final flush may still run while a host that failed to start disposes its services.
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    /// <summary>How often, without checkpoints, records of closed rounds are committed.</summary>
    public static readonly TimeSpan CommitInterval = TimeSpan.FromMilliseconds(250);

    // Per partition, the records handled and not yet committed, in offset order, with the round each belongs to (null: none).
    private readonly Dictionary<int, Queue<(StreamRecord Record, (string Task, int Round)? Round)>> _held = new();
    private IUpdateStreamConsumer? _consumer;
    private int _sinceCheckpoint;

    /// <summary>Records that could not be decoded (and were skipped, with a log entry each).</summary>
    public long MalformedRecords { get; private set; }

    /// <summary>Records read from the stream.</summary>
    public long RecordsRead { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var consumer = streams.Create(options.Value.ConsumerGroup);
        _consumer = consumer;
        var flusher = FlushPeriodicallyAsync(stoppingToken);
        try
        {
            await foreach (var record in consumer.ConsumeAsync(stoppingToken))
            {
                RecordsRead++;
                var round = await HandleAsync(record, stoppingToken);
                await DoneAsync(record, round, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await FlushAsync(CancellationToken.None);
        await flusher;
    }

    // The round the record belongs to, or null when it is malformed.
    private async Task<(string Task, int Round)?> HandleAsync(StreamRecord record, CancellationToken stoppingToken)
    {
        using var span = FlTelemetry.StartConsume("aggregation fold slice", record.TraceParent);
        UpdateSlice slice;
        try
        {
            slice = UpdateSliceCodec.Decode(record.Value);
        }
        catch (MalformedSliceException e)
        {
            MalformedRecords++;
            logger.LogWarning("Malformed record at partition {Partition} offset {Offset} skipped: {Reason}", record.Partition, record.Offset, e.Message);
            return null;
        }
        try
        {
            await router.OnSliceAsync(slice, record.Position, stoppingToken);
            FlTelemetry.SliceFolded(record.Value.Length);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Slice {Index} of {Client} for {Task}/{Round} could not be folded", slice.SliceIndex, slice.ClientId, slice.TaskId, slice.Round);
        }
        return (slice.TaskId, slice.Round);
    }

    private async Task DoneAsync(StreamRecord record, (string Task, int Round)? round, CancellationToken stoppingToken)
    {
        await _commitGate.WaitAsync(stoppingToken);
        try
        {
            if (!_held.TryGetValue(record.Partition, out var queue)) _held[record.Partition] = queue = new();
            queue.Enqueue((record, round));
            _sinceCheckpoint++;
        }
        finally { _commitGate.Release(); }
        if (checkpoints.Enabled && _sinceCheckpoint >= options.Value.CheckpointEveryRecords) await FlushAsync(stoppingToken);
    }

    private async Task FlushPeriodicallyAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(checkpoints.Enabled ? options.Value.CheckpointInterval : CommitInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await FlushAsync(stoppingToken);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            logger.LogError(e, "Periodic aggregation checkpoint failed; offsets stay uncommitted until the next one succeeds");
        }
    }

    /// <summary>
    /// With checkpoints, checkpoints the aggregates first; then commits, per partition, the records before the first one
    /// whose round is still open (or still waiting for its RoundStarted).
    /// </summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _commitGate.WaitAsync(cancellationToken);
        try
        {
            if (_held.Values.All(q => q.Count == 0)) return;
            // Records handled after this point wait for the next flush: the gate keeps DoneAsync out meanwhile.
            if (checkpoints.Enabled && !await checkpointer.CheckpointAsync(cancellationToken)) return;
            var unsettled = await checkpointer.UnsettledRoundsAsync(cancellationToken);
            foreach (var queue in _held.Values)
            {
                StreamRecord? last = null;
                while (queue.TryPeek(out var front) && (front.Round is not { } key || !unsettled.Contains(key)))
                    last = queue.Dequeue().Record;
                if (last is not null) await _consumer!.CommitAsync(last, cancellationToken);
            }
            _sinceCheckpoint = 0;
        }
        finally { _commitGate.Release(); }
    }

}
