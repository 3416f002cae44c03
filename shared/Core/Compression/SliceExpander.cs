using System.Buffers.Binary;
using FlMicroservices.Contracts.Wire;

namespace FlMicroservices.Core.Compression;

/// <summary>Expands a compressed slice back to plain Float32 elements, refusing what its round does not take or what does not decode.</summary>
public static class SliceExpander
{
    /// <summary>The plain slice <paramref name="slice"/> encodes (the same slice when it is plain).</summary>
    /// <exception cref="MalformedSliceException">The slice's encoding is not the round's, or its payload does not decode; the message says why.</exception>
    public static UpdateSlice Expand(UpdateSlice slice, CompressionSpec round)
    {
        ArgumentNullException.ThrowIfNull(slice);
        ArgumentNullException.ThrowIfNull(round);
        if (slice.Encoding == SliceEncoding.None && round.IsNone) return slice;
        if (!round.Admits(slice.Encoding))
            throw new MalformedSliceException($"slice {slice.SliceIndex} is {Describe(slice.Encoding)}-encoded, but the round takes {round}");
        if (slice.Encoding == SliceEncoding.None) return slice;
        var elements = slice.ElementCount;
        var coded = (slice.Encoding & SliceEncoding.ZstdFlag) != 0
            ? ZstdSlices.Decompress(slice.Payload.Span, MaxCodedLength(elements))
            : slice.Payload.ToArray();
        var values = new float[elements];
        switch (slice.Encoding & ~SliceEncoding.ZstdFlag)
        {
            case SliceEncoding.Q8: new StochasticQuantizer(8).Decode(coded, values); break;
            case SliceEncoding.Q4: new StochasticQuantizer(4).Decode(coded, values); break;
            case SliceEncoding.TopK: TopKSparsifier.Decode(coded, values); break;
            default:
                if (coded.Length != elements * 4) throw new MalformedSliceException($"zstd payload expands to {coded.Length} bytes, not {elements} elements");
                UpdateSliceCodec.CopyFloats(coded, values);
                break;
        }
        for (var i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) throw new MalformedSliceException($"slice {slice.SliceIndex} decodes to {values[i]} at element {i}: updates must be finite numbers");
        var bytes = new byte[elements * 4];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return new UpdateSlice(slice.TaskId, slice.Round, slice.ClientId, slice.SliceIndex, slice.SliceCount, slice.ElementOffset, slice.Weight,
            ElementType.Float32, bytes);
    }

    // The most any coding of that many elements takes (quantisation with one-element chunks: 9 bytes each); the coding checks the exact length.
    private static int MaxCodedLength(int elements) => 4 + 9 * elements;

    private static string Describe(SliceEncoding encoding) => encoding == SliceEncoding.None ? "not" : encoding.ToString();
}
