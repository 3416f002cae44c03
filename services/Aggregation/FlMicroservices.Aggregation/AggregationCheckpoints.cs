using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Aggregation;

/// <summary>Aggregation settings; bound from the "Aggregation" section.</summary>
public sealed class AggregationOptions : IValidatableObject
{
    public const string Section = "Aggregation";

    /// <summary>
    /// Folder of the durable checkpoints. When set, update-stream offsets are committed only after the slices they cover are
    /// in a checkpoint, so a crashed aggregator resumes with nothing lost and nothing counted twice. Empty: no checkpoints
    /// (the embedded default, where the stream lives in the same process and cannot outlive it anyway).
    /// </summary>
    public string? CheckpointDirectory { get; set; }

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

/// <summary>The small part of the aggregator's state, rewritten on every broker message that changes it.</summary>
public sealed record AggregationControl(
    List<RoundStarted> Open,
    List<UpdateSubmitted> Manifests,
    List<ClosedRound> Closed,
    Dictionary<string, double[]>? LastNorms = null);

/// <summary>A round this instance has closed (its result published).</summary>
public sealed record ClosedRound(string TaskId, int Round);

/// <summary>
/// Durable checkpoints of an aggregation instance, as files replaced atomically (write, flush to disk, rename):
/// <list type="bullet">
/// <item><c>control.json</c>: open rounds, manifests, closed rounds. Written before the broker message that changed it is acknowledged.</item>
/// <item><c>state.bin</c>: every open round's running aggregate and per-client progress, and slices waiting for their round.
/// Written before the update-stream offsets of the slices in it are committed.</item>
/// <item><c>strategy-{task}-{round}.bin</c>: a stateful strategy's state (server momentum or moments) after it closed that round.
/// On recovery the file of the task's last closed round is used, so a crash between writing it and marking the round
/// closed cannot apply one round's step twice.</item>
/// </list>
/// </summary>
public sealed class AggregationCheckpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string? _directory;

    public AggregationCheckpoints(string? directory)
    {
        _directory = string.IsNullOrWhiteSpace(directory) ? null : Path.GetFullPath(directory);
        if (_directory is not null) Directory.CreateDirectory(_directory);
    }

    public bool Enabled => _directory is not null;

    public string? DirectoryPath => _directory;

    public void WriteControl(AggregationControl control) =>
        WriteAtomically("control.json", stream => JsonSerializer.Serialize(stream, control, Json));

    public AggregationControl? ReadControl()
    {
        var path = PathOf("control.json");
        if (path is null || !File.Exists(path)) return null;
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<AggregationControl>(stream, Json)
            ?? throw new InvalidDataException($"Checkpoint {path} is empty.");
    }

    public void WriteState(Action<BinaryWriter> write) =>
        WriteAtomically("state.bin", stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            writer.Write(StateMagic);
            write(writer);
        });

    /// <summary>Reads state.bin with <paramref name="read"/>; false when there is none.</summary>
    public bool ReadState(Action<BinaryReader> read)
    {
        var path = PathOf("state.bin");
        if (path is null || !File.Exists(path)) return false;
        using var reader = new BinaryReader(new BufferedStream(File.OpenRead(path), 1 << 20));
        if (reader.ReadString() != StateMagic) throw new InvalidDataException($"{path} is not an aggregation checkpoint.");
        read(reader);
        return true;
    }

    public void WriteStrategy(string taskId, int round, ICheckpointable strategy) =>
        WriteAtomically(StrategyFile(taskId, round), stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            strategy.WriteCheckpoint(writer);
        });

    /// <summary>Loads the state the strategy had after closing <paramref name="round"/>; false when none was written.</summary>
    public bool ReadStrategy(string taskId, int round, ICheckpointable strategy)
    {
        var path = PathOf(StrategyFile(taskId, round));
        if (path is null || !File.Exists(path)) return false;
        using var reader = new BinaryReader(File.OpenRead(path));
        strategy.ReadCheckpoint(reader);
        return true;
    }

    private const string StateMagic = "FL-AGG-STATE-1";

    private static string StrategyFile(string taskId, int round) => $"strategy-{Uri.EscapeDataString(taskId)}-{round}.bin";

    private string? PathOf(string name) => _directory is null ? null : Path.Combine(_directory, name);

    private void WriteAtomically(string name, Action<Stream> write)
    {
        var path = PathOf(name) ?? throw new InvalidOperationException("Checkpoints are disabled (Aggregation:CheckpointDirectory is not set).");
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
