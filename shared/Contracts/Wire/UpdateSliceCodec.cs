using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace FlMicroservices.Contracts.Wire;

/// <summary>Binary wire format of <see cref="UpdateSlice"/>; see docs/events.md for the layout.</summary>
/// <remarks>
/// Layout (little-endian): "FLS1" magic, u8 format version, u8 element type, u8 encoding (version 2; 0 in version 1), u8 reserved,
/// i32 round, i32 slice index, i32 slice count, i64 element offset, i32 element count, f64 weight,
/// u32 CRC-32 of the payload, u16 + UTF-8 task id, u16 + UTF-8 client id, then the payload. A plain slice is written as
/// version 1 (unchanged); a compressed one (<see cref="SliceEncoding"/>) as version 2, whose payload the receiver expands.
/// </remarks>
public static class UpdateSliceCodec
{
    public const byte FormatVersion = 1;
    /// <summary>The version of a slice whose payload is compressed (its encoding in byte 6).</summary>
    public const byte EncodedFormatVersion = 2;
    /// <summary>Largest payload a slice may carry: 256 KiB keeps every message far below Kafka's 1 MB default.</summary>
    public const int MaxPayloadBytes = 256 * 1024;
    public const int MaxElements = MaxPayloadBytes / 4;
    public const int MaxIdBytes = 256;
    private const int FixedHeaderBytes = 4 + 1 + 1 + 2 + 4 + 4 + 4 + 8 + 4 + 8 + 4;
    private static ReadOnlySpan<byte> Magic => "FLS1"u8;

    public static int EncodedLength(UpdateSlice slice) =>
        FixedHeaderBytes + 2 + Encoding.UTF8.GetByteCount(slice.TaskId) + 2 + Encoding.UTF8.GetByteCount(slice.ClientId) + slice.Payload.Length;

    public static byte[] Encode(UpdateSlice slice)
    {
        ArgumentNullException.ThrowIfNull(slice);
        Validate(slice);
        var task = Encoding.UTF8.GetBytes(slice.TaskId);
        var client = Encoding.UTF8.GetBytes(slice.ClientId);
        var buffer = new byte[FixedHeaderBytes + 2 + task.Length + 2 + client.Length + slice.Payload.Length];
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        span[4] = slice.Encoding == SliceEncoding.None ? FormatVersion : EncodedFormatVersion;
        span[5] = (byte)slice.ElementType;
        span[6] = (byte)slice.Encoding;
        span[7] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], slice.Round);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], slice.SliceIndex);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], slice.SliceCount);
        BinaryPrimitives.WriteInt64LittleEndian(span[20..], slice.ElementOffset);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], slice.ElementCount);
        BinaryPrimitives.WriteDoubleLittleEndian(span[32..], slice.Weight);
        BinaryPrimitives.WriteUInt32LittleEndian(span[40..], Crc32.HashToUInt32(slice.Payload.Span));
        var at = FixedHeaderBytes;
        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)task.Length);
        task.CopyTo(span[(at + 2)..]);
        at += 2 + task.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)client.Length);
        client.CopyTo(span[(at + 2)..]);
        at += 2 + client.Length;
        slice.Payload.Span.CopyTo(span[at..]);
        return buffer;
    }

    /// <summary>Parses and checks a slice; throws <see cref="MalformedSliceException"/> naming the first problem found.</summary>
    public static UpdateSlice Decode(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < FixedHeaderBytes + 4)
            throw new MalformedSliceException($"slice is {span.Length} bytes, shorter than the {FixedHeaderBytes + 4}-byte header");
        if (!span[..4].SequenceEqual(Magic))
            throw new MalformedSliceException("slice does not start with the FLS1 magic");
        if (span[4] is not (FormatVersion or EncodedFormatVersion))
            throw new MalformedSliceException($"slice format version {span[4]} is not supported (expected {FormatVersion} or {EncodedFormatVersion})");
        var type = (ElementType)span[5];
        if (type is not (ElementType.Float32 or ElementType.UInt32))
            throw new MalformedSliceException($"unknown element type {span[5]}");
        var encoding = span[4] == FormatVersion ? SliceEncoding.None : (SliceEncoding)span[6];
        if (span[4] == EncodedFormatVersion && (encoding == SliceEncoding.None || !Enum.IsDefined(encoding)))
            throw new MalformedSliceException($"unknown slice encoding {span[6]}");
        var round = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        var index = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
        var offset = BinaryPrimitives.ReadInt64LittleEndian(span[20..]);
        var elements = BinaryPrimitives.ReadInt32LittleEndian(span[28..]);
        var weight = BinaryPrimitives.ReadDoubleLittleEndian(span[32..]);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(span[40..]);
        var at = FixedHeaderBytes;
        var task = ReadId(span, ref at, "task id");
        var client = ReadId(span, ref at, "client id");
        if (elements < 0 || elements > MaxElements)
            throw new MalformedSliceException($"element count {elements} is outside [0, {MaxElements}]");
        if (encoding == SliceEncoding.None && span.Length - at != elements * 4)
            throw new MalformedSliceException($"header announces {elements} elements ({elements * 4} bytes) but {span.Length - at} payload bytes follow");
        var payload = bytes[at..];
        if (Crc32.HashToUInt32(payload.Span) != crc)
            throw new MalformedSliceException($"payload checksum mismatch in slice {index} of client '{client}'");
        var slice = new UpdateSlice(task, round, client, index, count, offset, weight, type, payload)
        {
            PayloadChecksum = crc,
            Encoding = encoding,
            ElementCount = elements,
        };
        Validate(slice);
        return slice;
    }

    /// <summary>Cuts a flat update into slices of at most <paramref name="sliceElements"/> elements.</summary>
    public static IEnumerable<UpdateSlice> Slice(string taskId, int round, string clientId, ReadOnlyMemory<float> update, double weight, int sliceElements)
    {
        if (sliceElements <= 0 || sliceElements > MaxElements)
            throw new ArgumentOutOfRangeException(nameof(sliceElements), sliceElements, $"Slice size must be in [1, {MaxElements}] elements.");
        var count = SliceCountFor(update.Length, sliceElements);
        for (var i = 0; i < count; i++)
        {
            var start = i * sliceElements;
            var length = Math.Min(sliceElements, update.Length - start);
            var bytes = new byte[length * 4];
            MemoryMarshal.AsBytes(update.Span.Slice(start, length)).CopyTo(bytes);
            if (!BitConverter.IsLittleEndian) ReverseEndianness(bytes);
            yield return new UpdateSlice(taskId, round, clientId, i, count, start, weight, ElementType.Float32, bytes);
        }
    }

    /// <summary>
    /// Cuts a masked update (fixed-point values in Z_2^32, for secure aggregation) into <see cref="ElementType.UInt32"/> slices
    /// of at most <paramref name="sliceElements"/> elements.
    /// </summary>
    public static IEnumerable<UpdateSlice> SliceMasked(string taskId, int round, string clientId, ReadOnlyMemory<uint> masked, double weight, int sliceElements)
    {
        if (sliceElements <= 0 || sliceElements > MaxElements)
            throw new ArgumentOutOfRangeException(nameof(sliceElements), sliceElements, $"Slice size must be in [1, {MaxElements}] elements.");
        var count = SliceCountFor(masked.Length, sliceElements);
        for (var i = 0; i < count; i++)
        {
            var start = i * sliceElements;
            var length = Math.Min(sliceElements, masked.Length - start);
            var bytes = new byte[length * 4];
            MemoryMarshal.AsBytes(masked.Span.Slice(start, length)).CopyTo(bytes);
            if (!BitConverter.IsLittleEndian) ReverseEndianness(bytes);
            yield return new UpdateSlice(taskId, round, clientId, i, count, start, weight, ElementType.UInt32, bytes);
        }
    }

    /// <summary>Copies a little-endian UInt32 payload into <paramref name="destination"/>.</summary>
    public static void CopyUInt32s(ReadOnlySpan<byte> payload, Span<uint> destination)
    {
        var source = MemoryMarshal.Cast<byte, uint>(payload);
        source.CopyTo(destination);
        if (!BitConverter.IsLittleEndian)
        {
            var values = destination[..source.Length];
            BinaryPrimitives.ReverseEndianness(values, values);
        }
    }

    public static int SliceCountFor(int elements, int sliceElements) => Math.Max(1, (elements + sliceElements - 1) / sliceElements);

    public static void CopyFloats(ReadOnlySpan<byte> payload, Span<float> destination)
    {
        var source = MemoryMarshal.Cast<byte, float>(payload);
        source.CopyTo(destination);
        if (!BitConverter.IsLittleEndian)
        {
            var ints = MemoryMarshal.Cast<float, int>(destination[..source.Length]);
            BinaryPrimitives.ReverseEndianness(ints, ints);
        }
    }

    private static void ReverseEndianness(byte[] bytes)
    {
        var ints = MemoryMarshal.Cast<byte, int>(bytes.AsSpan());
        BinaryPrimitives.ReverseEndianness(ints, ints);
    }

    private static string ReadId(ReadOnlySpan<byte> span, ref int at, string what)
    {
        if (span.Length < at + 2) throw new MalformedSliceException($"slice ends inside the {what}");
        var length = BinaryPrimitives.ReadUInt16LittleEndian(span[at..]);
        if (length == 0 || length > MaxIdBytes) throw new MalformedSliceException($"{what} length {length} is outside [1, {MaxIdBytes}]");
        if (span.Length < at + 2 + length) throw new MalformedSliceException($"slice ends inside the {what}");
        var value = Encoding.UTF8.GetString(span.Slice(at + 2, length));
        at += 2 + length;
        return value;
    }

    private static void Validate(UpdateSlice s)
    {
        if (string.IsNullOrEmpty(s.TaskId) || Encoding.UTF8.GetByteCount(s.TaskId) > MaxIdBytes)
            throw new MalformedSliceException("task id is empty or longer than 256 bytes");
        if (string.IsNullOrEmpty(s.ClientId) || Encoding.UTF8.GetByteCount(s.ClientId) > MaxIdBytes)
            throw new MalformedSliceException("client id is empty or longer than 256 bytes");
        if (s.Round < 0) throw new MalformedSliceException($"round {s.Round} is negative");
        if (s.SliceCount < 1) throw new MalformedSliceException($"slice count {s.SliceCount} is below 1");
        if (s.SliceIndex < 0 || s.SliceIndex >= s.SliceCount)
            throw new MalformedSliceException($"slice index {s.SliceIndex} is outside [0, {s.SliceCount})");
        if (s.ElementOffset < 0) throw new MalformedSliceException($"element offset {s.ElementOffset} is negative");
        if (!Enum.IsDefined(s.Encoding))
            throw new MalformedSliceException($"unknown slice encoding {(byte)s.Encoding}");
        if (s.Encoding != SliceEncoding.None && s.ElementType != ElementType.Float32)
            throw new MalformedSliceException($"a {s.Encoding}-encoded slice must hold Float32 elements, not {s.ElementType}");
        if (s.ElementCount < 0 || s.ElementCount > MaxElements)
            throw new MalformedSliceException($"element count {s.ElementCount} is outside [0, {MaxElements}]");
        if (s.Encoding == SliceEncoding.None && s.Payload.Length % 4 != 0) throw new MalformedSliceException($"payload of {s.Payload.Length} bytes is not a whole number of 4-byte elements");
        if (s.Payload.Length > MaxPayloadBytes) throw new MalformedSliceException($"payload of {s.Payload.Length} bytes exceeds the {MaxPayloadBytes}-byte limit");
        if (!double.IsFinite(s.Weight) || s.Weight <= 0) throw new MalformedSliceException($"weight {s.Weight} must be a positive finite number");
    }
}
