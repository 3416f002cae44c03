namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// State that can be written to a durable checkpoint and read back into a fresh instance, so that an aggregation
/// process that crashes resumes exactly where its last checkpoint left it.
/// </summary>
/// <remarks>
/// Implemented by the rounds of the linear strategies (their exact fixed-point sums) and of the robust strategies
/// (every stored slice), and by strategies with server-optimizer state across rounds (FedAvgM's velocity, the moments of
/// FedAdagrad, FedAdam and FedYogi). <see cref="ReadCheckpoint"/> is called on an instance created with the same
/// parameters as the one that wrote the checkpoint, before anything else is done with it; the state read back is the
/// state written, bit for bit.
/// </remarks>
public interface ICheckpointable
{
    void WriteCheckpoint(BinaryWriter writer);

    /// <exception cref="InvalidDataException">The checkpoint does not belong to an instance of this shape.</exception>
    void ReadCheckpoint(BinaryReader reader);
}

/// <summary>Helpers for the binary layout of checkpoints: arrays with their lengths, checked on the way back in.</summary>
public static class CheckpointFormat
{
    public static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    public static float[] ReadFloats(BinaryReader reader, int? expectedLength, string what)
    {
        var length = reader.ReadInt32();
        if (length < 0 || (expectedLength is { } e && length != e))
            throw new InvalidDataException($"Checkpoint of {what} holds {length} values; {expectedLength} expected.");
        var values = new float[length];
        ReadExactly(reader, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), what);
        return values;
    }

    public static void WriteLongs(BinaryWriter writer, ReadOnlySpan<long> values)
    {
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    public static long[] ReadLongs(BinaryReader reader, int expectedLength, string what)
    {
        var length = reader.ReadInt32();
        if (length != expectedLength)
            throw new InvalidDataException($"Checkpoint of {what} holds {length} values; {expectedLength} expected.");
        var values = new long[length];
        ReadExactly(reader, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), what);
        return values;
    }

    /// <summary>Writes an optional float array (server-optimizer state that does not exist before the first round).</summary>
    public static void WriteOptionalFloats(BinaryWriter writer, float[]? values)
    {
        writer.Write(values is not null);
        if (values is not null) WriteFloats(writer, values);
    }

    public static float[]? ReadOptionalFloats(BinaryReader reader, string what) =>
        reader.ReadBoolean() ? ReadFloats(reader, null, what) : null;

    public static void ExpectTag(BinaryReader reader, string tag)
    {
        var found = reader.ReadString();
        if (!string.Equals(found, tag, StringComparison.Ordinal))
            throw new InvalidDataException($"Checkpoint holds '{found}' state where '{tag}' state was expected.");
    }

    private static void ReadExactly(BinaryReader reader, Span<byte> destination, string what)
    {
        try
        {
            reader.BaseStream.ReadExactly(destination);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"Checkpoint of {what} is truncated.");
        }
    }
}
