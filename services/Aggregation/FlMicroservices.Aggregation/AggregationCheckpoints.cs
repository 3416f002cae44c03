using System.Text.Json;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Aggregation;

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
