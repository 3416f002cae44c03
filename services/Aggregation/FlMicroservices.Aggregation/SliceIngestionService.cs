using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Aggregation;

/// <summary>Reads update slices from the stream as a member of the "aggregation" consumer group and folds them.</summary>
public sealed class SliceIngestionService(IUpdateStreamConsumerFactory streams, AggregationRounds rounds, ILogger<SliceIngestionService> logger) : BackgroundService
{
    public const string ConsumerGroup = "aggregation";

    /// <summary>Records that could not be decoded (and were skipped, with a log entry each).</summary>
    public long MalformedRecords { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var consumer = streams.Create(ConsumerGroup);
        await foreach (var record in consumer.ConsumeAsync(stoppingToken))
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
                await consumer.CommitAsync(record, stoppingToken);
                continue;
            }
            try
            {
                await rounds.OnSliceAsync(slice, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Slice {Index} of {Client} for {Task}/{Round} could not be folded", slice.SliceIndex, slice.ClientId, slice.TaskId, slice.Round);
            }
            await consumer.CommitAsync(record, stoppingToken);
        }
    }
}
