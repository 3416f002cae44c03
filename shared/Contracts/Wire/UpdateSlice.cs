namespace FlMicroservices.Contracts.Wire;

/// <summary>One fixed-size piece of a client's update as it travels on the update stream.</summary>
/// <remarks>
/// Slice i of every client covers the same element range, so keying the stream by slice index puts
/// the same parameters of all clients in one partition and an aggregator owns a shard of the model.
/// </remarks>
public sealed record UpdateSlice(
    string TaskId,
    int Round,
    string ClientId,
    int SliceIndex,
    int SliceCount,
    long ElementOffset,
    double Weight,
    ElementType ElementType,
    ReadOnlyMemory<byte> Payload)
{
    private readonly int _encodedElements;

    /// <summary>How <see cref="Payload"/> is compressed; <see cref="SliceEncoding.None"/> (the default): plain 4-byte elements.</summary>
    public SliceEncoding Encoding { get; init; }

    /// <summary>Elements the slice covers: a plain payload's length over 4; for an encoded slice, the count it was given.</summary>
    public int ElementCount
    {
        get => Encoding == SliceEncoding.None ? Payload.Length / 4 : _encodedElements;
        init => _encodedElements = value;
    }

    private (ReadOnlyMemory<byte> Payload, uint Checksum)? _known;

    /// <summary>The CRC-32 of <see cref="Payload"/> when already known (decoding verified it), so that it is not computed again; null otherwise.</summary>
    /// <remarks>Bound to the payload it was given for: a copy with another payload (<c>with { Payload = ... }</c>) reports null.</remarks>
    public uint? PayloadChecksum
    {
        get => _known is { } known && known.Payload.Equals(Payload) ? known.Checksum : null;
        init => _known = value is { } checksum ? (Payload, checksum) : null;
    }

    /// <summary>The key that routes this slice to its partition: slice i of every client lands together.</summary>
    public int PartitionKey => SliceIndex;

    /// <summary>The Float32 payload as floats without copying (a copy only on big-endian hosts); for the aggregation hot path.</summary>
    public ReadOnlySpan<float> AsFloats()
    {
        RequirePlain();
        if (ElementType != ElementType.Float32)
            throw new InvalidOperationException($"Slice {SliceIndex} of {ClientId} holds {ElementType}, not Float32.");
        return BitConverter.IsLittleEndian ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Payload.Span) : ToFloats();
    }

    /// <summary>Reads a UInt32 payload (masked fixed-point values of secure aggregation) as uints (a copy).</summary>
    public uint[] ToUInt32s()
    {
        RequirePlain();
        if (ElementType != ElementType.UInt32)
            throw new InvalidOperationException($"Slice {SliceIndex} of {ClientId} holds {ElementType}, not UInt32.");
        var result = new uint[ElementCount];
        UpdateSliceCodec.CopyUInt32s(Payload.Span, result);
        return result;
    }

    /// <summary>Reads a Float32 payload as floats (a copy).</summary>
    public float[] ToFloats()
    {
        RequirePlain();
        if (ElementType != ElementType.Float32)
            throw new InvalidOperationException($"Slice {SliceIndex} of {ClientId} holds {ElementType}, not Float32.");
        var result = new float[ElementCount];
        UpdateSliceCodec.CopyFloats(Payload.Span, result);
        return result;
    }

    private void RequirePlain()
    {
        if (Encoding != SliceEncoding.None)
            throw new InvalidOperationException($"Slice {SliceIndex} of {ClientId} is {Encoding}-encoded: expand it first (docs/compression.md).");
    }
}
