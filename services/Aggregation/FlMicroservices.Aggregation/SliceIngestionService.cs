using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Aggregation;

/// <summary>Reads update slices from the stream as a member of the "aggregation" consumer group and folds them.</summary>
/// <remarks>
/// Without checkpoints every record is committed once folded. With them, offsets are committed only after a checkpoint
/// that contains the records' effect, every <see cref="AggregationOptions.CheckpointEveryRecords"/> records or
/// <see cref="AggregationOptions.CheckpointInterval"/>: a crash then replays at most the records since the last checkpoint,
/// and the rounds' per-client slice records (restored with the aggregate) recognise them as duplicates.
/// </remarks>
public sealed class SliceIngestionService(
    IUpdateStreamConsumerFactory streams,
    AggregationRounds rounds,
    AggregationCheckpoints checkpoints,
    IOptions<AggregationOptions> options,
    ILogger<SliceIngestionService> logger) : BackgroundService
{
    public const string ConsumerGroup = "aggregation";

    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private readonly Dictionary<int, StreamRecord> _uncommitted = new();
    private IUpdateStreamConsumer? _consumer;
    private int _sinceCheckpoint;

    /// <summary>Records that could not be decoded (and were skipped, with a log entry each).</summary>
    public long MalformedRecords { get; private set; }

    /// <summary>Records read from the stream.</summary>
    public long RecordsRead { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var consumer = streams.Create(ConsumerGroup);
        _consumer = consumer;
        var flusher = checkpoints.Enabled ? FlushPeriodicallyAsync(stoppingToken) : null;
        try
        {
            await foreach (var record in consumer.ConsumeAsync(stoppingToken))
            {
                RecordsRead++;
                await HandleAsync(record, stoppingToken);
                await DoneAsync(record, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        if (checkpoints.Enabled) await FlushAsync(CancellationToken.None);
        if (flusher is not null) await flusher;
    }

    private async Task HandleAsync(StreamRecord record, CancellationToken stoppingToken)
    {
        UpdateSlice slice;
        try
        {
            slice = UpdateSliceCodec.Decode(record.Value);
        }
        catch (MalformedSliceException e)
        {
            MalformedRecords++;
            logger.LogWarning("Malformed record at partition {Partition} offset {Offset} skipped: {Reason}", record.Partition, record.Offset, e.Message);
            return;
        }
        try
        {
            await rounds.OnSliceAsync(slice, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Slice {Index} of {Client} for {Task}/{Round} could not be folded", slice.SliceIndex, slice.ClientId, slice.TaskId, slice.Round);
        }
    }

    private async Task DoneAsync(StreamRecord record, CancellationToken stoppingToken)
    {
        if (!checkpoints.Enabled)
        {
            await _consumer!.CommitAsync(record, stoppingToken);
            return;
        }
        await _commitGate.WaitAsync(stoppingToken);
        try
        {
            _uncommitted[record.Partition] = record;
            _sinceCheckpoint++;
        }
        finally { _commitGate.Release(); }
        if (_sinceCheckpoint >= options.Value.CheckpointEveryRecords) await FlushAsync(stoppingToken);
    }

    private async Task FlushPeriodicallyAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckpointInterval);
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

    /// <summary>Checkpoints the aggregates, then commits the offsets of every record folded before the checkpoint.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _commitGate.WaitAsync(cancellationToken);
        try
        {
            if (_uncommitted.Count == 0) return;
            // Records handled after this point stay in _uncommitted for the next flush: the gate keeps DoneAsync out meanwhile.
            if (!await rounds.CheckpointAsync(cancellationToken)) return;
            foreach (var record in _uncommitted.Values) await _consumer!.CommitAsync(record, cancellationToken);
            _uncommitted.Clear();
            _sinceCheckpoint = 0;
        }
        finally { _commitGate.Release(); }
    }

    public override void Dispose()
    {
        _commitGate.Dispose();
        base.Dispose();
    }
}
