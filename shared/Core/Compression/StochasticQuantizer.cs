using System.Buffers.Binary;
using FlMicroservices.Contracts.Wire;

namespace FlMicroservices.Core.Compression;

/// <summary>Unbiased stochastic quantisation to 8 or 4 bits per element with a minimum and step per chunk (QSGD-style, docs/compression.md).</summary>
/// <remarks>
/// Layout: u32 chunk elements c, then per chunk f32 minimum and f32 step, then the codes (two 4-bit codes per byte, low
/// nibble first). A value x in a chunk [min, max] becomes ⌊(x − min)/step + u⌋ with u uniform in [0, 1), so its expected
/// decode is x and every decode lies within one step of it.
/// </remarks>
public sealed class StochasticQuantizer
{
    /// <summary>Elements that share one minimum and step: 8 bytes per 4,096 elements keep q8 at 3.99x fewer bytes.</summary>
    public const int DefaultChunkElements = 4096;

    public StochasticQuantizer(int bits, int chunkElements = DefaultChunkElements)
    {
        if (bits is not (8 or 4)) throw new ArgumentOutOfRangeException(nameof(bits), bits, "Quantisation takes 8 or 4 bits per element.");
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkElements, 1);
        Bits = bits;
        ChunkElements = chunkElements;
    }

    public int Bits { get; }

    public int ChunkElements { get; }

    private int Levels => (1 << Bits) - 1;

    /// <summary>Bytes the encoding of <paramref name="elements"/> values takes.</summary>
    public int EncodedLength(int elements) => 4 + Chunks(elements, ChunkElements) * 8 + CodeBytes(elements, Bits);

    /// <summary>Encodes <paramref name="values"/> with rounding drawn from <paramref name="random"/>; returns the encoding.</summary>
    /// <exception cref="ArgumentException">A value is not finite.</exception>
    public byte[] Encode(ReadOnlySpan<float> values, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var output = new byte[EncodedLength(values.Length)];
        BinaryPrimitives.WriteInt32LittleEndian(output, ChunkElements);
        var codes = output.AsSpan(4 + Chunks(values.Length, ChunkElements) * 8);
        for (int chunk = 0, start = 0; start < values.Length; chunk++, start += ChunkElements)
        {
            var part = values.Slice(start, Math.Min(ChunkElements, values.Length - start));
            var (min, max) = Range(part, start);
            var step = (max - min) / Levels;
            // A step that underflows to 0 or cannot reach max from min in Levels steps is widened, so every code stays in range.
            if (step > 0 && min + step * Levels < max) step = MathF.BitIncrement(step);
            BinaryPrimitives.WriteSingleLittleEndian(output.AsSpan(4 + chunk * 8), min);
            BinaryPrimitives.WriteSingleLittleEndian(output.AsSpan(8 + chunk * 8), step);
            for (var i = 0; i < part.Length; i++)
            {
                var code = step > 0 ? (int)MathF.Floor((part[i] - min) / step + random.NextSingle()) : 0;
                WriteCode(codes, start + i, Math.Clamp(code, 0, Levels));
            }
        }
        return output;
    }

    /// <summary>Decodes <paramref name="encoded"/> into <paramref name="destination"/> (its length is the element count).</summary>
    /// <exception cref="MalformedSliceException">The encoding's length, chunk size, minimum or step is invalid; the message says which.</exception>
    public void Decode(ReadOnlySpan<byte> encoded, Span<float> destination)
    {
        if (encoded.Length < 4) throw new MalformedSliceException($"q{Bits} payload of {encoded.Length} bytes is shorter than its 4-byte chunk size");
        var chunkElements = BinaryPrimitives.ReadInt32LittleEndian(encoded);
        if (chunkElements < 1 || chunkElements > UpdateSliceCodec.MaxElements)
            throw new MalformedSliceException($"q{Bits} chunk size {chunkElements} is outside [1, {UpdateSliceCodec.MaxElements}]");
        var chunks = Chunks(destination.Length, chunkElements);
        var expected = 4L + chunks * 8L + CodeBytes(destination.Length, Bits);
        if (encoded.Length != expected)
            throw new MalformedSliceException($"q{Bits} payload of {encoded.Length} bytes does not hold {destination.Length} elements in chunks of {chunkElements} ({expected} bytes)");
        var codes = encoded[(4 + chunks * 8)..];
        for (int chunk = 0, start = 0; start < destination.Length; chunk++, start += chunkElements)
        {
            var min = BinaryPrimitives.ReadSingleLittleEndian(encoded[(4 + chunk * 8)..]);
            var step = BinaryPrimitives.ReadSingleLittleEndian(encoded[(8 + chunk * 8)..]);
            if (!float.IsFinite(min) || !float.IsFinite(step) || step < 0 || !float.IsFinite(min + step * Levels))
                throw new MalformedSliceException($"q{Bits} chunk {chunk} has minimum {min} and step {step}: both must be finite, the step not negative");
            var end = Math.Min(start + chunkElements, destination.Length);
            for (var i = start; i < end; i++) destination[i] = min + ReadCode(codes, i) * step;
        }
    }

    private (float Min, float Max) Range(ReadOnlySpan<float> part, int start)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        for (var i = 0; i < part.Length; i++)
        {
            if (!float.IsFinite(part[i])) throw new ArgumentException($"Element {start + i} is {part[i]}: only finite values can be quantised.", nameof(part));
            min = MathF.Min(min, part[i]);
            max = MathF.Max(max, part[i]);
        }
        if (!float.IsFinite(max - min))
            throw new ArgumentException($"Elements {start} to {start + part.Length - 1} span more than a float can hold: they cannot be quantised.", nameof(part));
        return (min, max);
    }

    private void WriteCode(Span<byte> codes, int index, int code)
    {
        if (Bits == 8) codes[index] = (byte)code;
        else codes[index >> 1] |= (byte)((index & 1) == 0 ? code : code << 4);
    }

    private int ReadCode(ReadOnlySpan<byte> codes, int index) =>
        Bits == 8 ? codes[index] : (index & 1) == 0 ? codes[index >> 1] & 0xF : codes[index >> 1] >> 4;

    private static int Chunks(int elements, int chunkElements) => (elements + chunkElements - 1) / chunkElements;

    private static int CodeBytes(int elements, int bits) => bits == 8 ? elements : (elements + 1) / 2;
}
