using System.Buffers.Binary;
using FlMicroservices.Contracts.Wire;

namespace FlMicroservices.Core.Compression;

/// <summary>Top-k sparsification: keeps the k largest-magnitude elements of a slice as (index, value) pairs (docs/compression.md).</summary>
/// <remarks>
/// Layout: u32 k, then k u16 indices in ascending order (a slice has at most 65,536 elements), then the k f32 values.
/// The values are sent exactly, so an element is either sent whole or not at all: the client's error feedback keeps the rest.
/// </remarks>
public sealed class TopKSparsifier
{
    public TopKSparsifier(double fraction)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The top-k fraction must be in (0, 1].");
        Fraction = fraction;
    }

    /// <summary>The share of each slice's elements that is sent.</summary>
    public double Fraction { get; }

    /// <summary>k for a slice of <paramref name="elements"/>: ⌈fraction × elements⌉, at least 1 for a non-empty slice.</summary>
    public int KeptOf(int elements) => elements == 0 ? 0 : Math.Clamp((int)Math.Ceiling(Fraction * elements - 1e-9), 1, elements);

    /// <summary>Encodes the top-k of <paramref name="values"/>; <paramref name="sent"/> receives what a receiver will decode (zeros elsewhere).</summary>
    public byte[] Encode(ReadOnlySpan<float> values, Span<float> sent)
    {
        if (values.Length > UpdateSliceCodec.MaxElements)
            throw new ArgumentException($"A slice of {values.Length} elements is over the {UpdateSliceCodec.MaxElements} that u16 indices address.", nameof(values));
        if (sent.Length != values.Length) throw new ArgumentException("The sent buffer must be as long as the values.", nameof(sent));
        var k = KeptOf(values.Length);
        var order = new int[values.Length];
        var magnitudes = new float[values.Length];
        for (var i = 0; i < order.Length; i++)
        {
            if (!float.IsFinite(values[i])) throw new ArgumentException($"Element {i} is {values[i]}: only finite values can be sparsified.", nameof(values));
            (order[i], magnitudes[i]) = (i, -MathF.Abs(values[i]));
        }
        // Largest magnitude first; ties go to the lower index so that the choice does not depend on the sort's internals.
        Array.Sort(magnitudes, order);
        var kept = order.AsSpan(0, k);
        StableTies(magnitudes, order, k);
        kept.Sort();
        var output = new byte[EncodedLength(k)];
        BinaryPrimitives.WriteInt32LittleEndian(output, k);
        sent.Clear();
        for (var j = 0; j < k; j++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(4 + j * 2), (ushort)kept[j]);
            BinaryPrimitives.WriteSingleLittleEndian(output.AsSpan(4 + k * 2 + j * 4), values[kept[j]]);
            sent[kept[j]] = values[kept[j]];
        }
        return output;
    }

    /// <summary>Bytes the encoding of k kept elements takes.</summary>
    public static int EncodedLength(int k) => 4 + k * 6;

    /// <summary>Decodes <paramref name="encoded"/> into <paramref name="destination"/> (its length is the element count; unsent elements are zero).</summary>
    /// <exception cref="MalformedSliceException">The count, length or an index is invalid; the message says which.</exception>
    public static void Decode(ReadOnlySpan<byte> encoded, Span<float> destination)
    {
        if (encoded.Length < 4) throw new MalformedSliceException($"top-k payload of {encoded.Length} bytes is shorter than its 4-byte count");
        var k = BinaryPrimitives.ReadInt32LittleEndian(encoded);
        if (k < 0 || k > destination.Length)
            throw new MalformedSliceException($"top-k count {k} is outside [0, {destination.Length}] for a slice of {destination.Length} elements");
        if (encoded.Length != EncodedLength(k))
            throw new MalformedSliceException($"top-k payload of {encoded.Length} bytes does not hold {k} pairs ({EncodedLength(k)} bytes)");
        destination.Clear();
        var previous = -1;
        for (var j = 0; j < k; j++)
        {
            int index = BinaryPrimitives.ReadUInt16LittleEndian(encoded[(4 + j * 2)..]);
            if (index <= previous || index >= destination.Length)
                throw new MalformedSliceException($"top-k index {index} (pair {j}) is not ascending within [0, {destination.Length})");
            var value = BinaryPrimitives.ReadSingleLittleEndian(encoded[(4 + k * 2 + j * 4)..]);
            if (!float.IsFinite(value)) throw new MalformedSliceException($"top-k value at index {index} is {value}: updates must be finite numbers");
            destination[index] = value;
            previous = index;
        }
    }

    // Array.Sort is unstable: among the elements tied with the k-th magnitude, keep the lowest indices.
    private static void StableTies(float[] magnitudes, int[] order, int k)
    {
        if (k == 0 || k == order.Length) return;
        var edge = magnitudes[k - 1];
        int first = k - 1, last = k - 1;
        while (first > 0 && magnitudes[first - 1] == edge) first--;
        while (last + 1 < order.Length && magnitudes[last + 1] == edge) last++;
        if (first == last) return;
        order.AsSpan(first, last - first + 1).Sort();
    }
}
