using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Aggregation;

/// <summary>Aggregation settings; bound from the "Aggregation" section.</summary>
public sealed class AggregationOptions : IValidatableObject
{
    public const string Section = "Aggregation";

    /// <summary>
    /// Folder of the durable checkpoints (relative: under the data root; on by default). Update-stream offsets are committed only
    /// after the slices they cover are in a checkpoint, so a crashed aggregator resumes with nothing lost and nothing counted
    /// twice. Empty: no checkpoints (an in-process composition, where the stream cannot outlive the process anyway).
    /// </summary>
    public string? CheckpointDirectory { get; set; } = DefaultCheckpointDirectory;

    /// <summary>The checkpoint folder under the data root when none is configured.</summary>
    public const string DefaultCheckpointDirectory = "checkpoints";

    /// <summary>A checkpoint is written after this many records, or <see cref="CheckpointInterval"/>, whichever comes first.</summary>
    [Range(1, 1_000_000)]
    public int CheckpointEveryRecords { get; set; } = 256;

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Number of aggregation instances the slices are sharded over (1: one instance aggregates everything). Instance k holds
    /// the slices whose index is k modulo this, reads the update stream in its own consumer group and skips the others'
    /// slices; instance 0 coordinates (see <see cref="ShardCoordinator"/>).
    /// </summary>
    [Range(1, 1024)]
    public int ShardCount { get; set; } = 1;

    /// <summary>This instance's shard, from 0 to <see cref="ShardCount"/> - 1.</summary>
    [Range(0, 1023)]
    public int ShardIndex { get; set; }

    /// <summary>How long the coordinator waits for the other shards in each phase before failing the round.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ShardTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The most slice payload kept for rounds not opened yet (a slice can overtake its RoundStarted); beyond it a slice for an
    /// unknown round is dropped with an error. Bounds what a flood of slices for rounds that never start can take.
    /// </summary>
    [Range(1L << 20, 1L << 36)]
    public long HeldSliceBudgetBytes { get; set; } = DefaultHeldSliceBudgetBytes;

    /// <summary>64 MiB: 256 slices of the largest size, far more than overtake their RoundStarted in practice.</summary>
    public const long DefaultHeldSliceBudgetBytes = 64L << 20;

    /// <summary>
    /// How long slices and manifests wait for their round to open before they are dropped (logged, and no longer keeping the
    /// update stream's offsets from being committed).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan HeldLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>This instance's slices when sharded, null otherwise.</summary>
    public ShardSettings? Shard => ShardCount > 1 ? new ShardSettings(ShardIndex, ShardCount) : null;

    /// <summary>The update-stream consumer group of this instance: shards do not share partitions, each reads every record.</summary>
    public string ConsumerGroup => ShardCount > 1 ? $"{SliceIngestionService.ConsumerGroup}-shard-{ShardIndex}-of-{ShardCount}" : SliceIngestionService.ConsumerGroup;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ShardIndex >= ShardCount)
            yield return new ValidationResult($"must be below ShardCount ({ShardCount}), not {ShardIndex}", [nameof(ShardIndex)]);
    }
}
