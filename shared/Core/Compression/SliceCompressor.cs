using FlMicroservices.Contracts.Wire;

namespace FlMicroservices.Core.Compression;

/// <summary>Compresses a client's plain Float32 slices under a task's <see cref="CompressionSpec"/> (docs/compression.md).</summary>
public sealed class SliceCompressor(CompressionSpec spec)
{
    public CompressionSpec Spec { get; } = spec ?? throw new ArgumentNullException(nameof(spec));

    /// <summary>
    /// The slice as it goes on the wire, and the values the aggregation will decode from it (what error feedback and the
    /// manifest's digest are computed from). <paramref name="seed"/> draws the quantiser's rounding.
    /// </summary>
    /// <exception cref="ArgumentException">The slice is not plain Float32, or holds a value that is not finite.</exception>
    public (UpdateSlice Slice, float[] Decoded) Compress(UpdateSlice slice, int seed)
    {
        ArgumentNullException.ThrowIfNull(slice);
        if (slice.Encoding != SliceEncoding.None || slice.ElementType != ElementType.Float32)
            throw new ArgumentException($"Only plain Float32 slices are compressed, not a {slice.Encoding} {slice.ElementType} one.", nameof(slice));
        var values = slice.ToFloats();
        if (Spec.IsNone) return (slice, values);
        var decoded = new float[values.Length];
        byte[] coded;
        switch (Spec.Coding)
        {
            case SliceEncoding.Q8 or SliceEncoding.Q4:
                var quantizer = new StochasticQuantizer(Spec.Coding == SliceEncoding.Q8 ? 8 : 4);
                coded = quantizer.Encode(values, new Random(seed));
                quantizer.Decode(coded, decoded);
                break;
            case SliceEncoding.TopK:
                coded = new TopKSparsifier(Spec.TopKFraction).Encode(values, decoded);
                break;
            default:
                coded = slice.Payload.ToArray();
                values.CopyTo(decoded, 0);
                break;
        }
        var encoding = Spec.Coding;
        if (Spec.Zstd)
        {
            var squeezed = ZstdSlices.Compress(coded);
            // zstd that does not shrink the payload (noise-like values) is left off: the slice declares its coding alone.
            if (squeezed.Length < coded.Length) (coded, encoding) = (squeezed, Spec.Encoding);
        }
        if (encoding == SliceEncoding.None) return (slice, decoded);
        return (slice with { Payload = coded, Encoding = encoding, ElementCount = values.Length }, decoded);
    }
}
