using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Compression;

namespace FlMicroservices.Core.Tests.Compression;

public class TopKSparsifierTests
{
    [Fact]
    public void Keeps_the_largest_magnitudes_exactly_and_zeros_the_rest()
    {
        float[] x = [0.1f, -5f, 0.2f, 3f, -0.3f, 0f, 4f, 0.05f, -0.01f, 1f];
        var sent = new float[x.Length];
        var sparsifier = new TopKSparsifier(0.3);

        var encoded = sparsifier.Encode(x, sent);
        var decoded = new float[x.Length];
        TopKSparsifier.Decode(encoded, decoded);

        Assert.Equal([0f, -5f, 0f, 3f, 0f, 0f, 4f, 0f, 0f, 0f], decoded);
        Assert.Equal(decoded, sent);
        Assert.Equal(4 + 3 * 6, encoded.Length);
    }

    [Fact]
    public void One_percent_of_a_full_slice_is_656_pairs_about_66_times_smaller()
    {
        var sparsifier = new TopKSparsifier(0.01);
        Assert.Equal(656, sparsifier.KeptOf(65_536));
        Assert.Equal(1, sparsifier.KeptOf(7));
        Assert.True(65_536 * 4.0 / TopKSparsifier.EncodedLength(656) > 66);
    }

    [Fact]
    public void Ties_at_the_edge_go_to_the_lowest_indices()
    {
        var x = Enumerable.Repeat(1f, 100).ToArray();
        var sent = new float[100];
        new TopKSparsifier(0.05).Encode(x, sent);
        Assert.Equal(Enumerable.Range(0, 5), Enumerable.Range(0, 100).Where(i => sent[i] != 0));
    }

    [Fact]
    public void Malformed_encodings_are_rejected_with_a_reason()
    {
        var good = new TopKSparsifier(0.5).Encode([1f, -2f, 3f, 0.5f], new float[4]);
        var destination = new float[4];

        Assert.Contains("does not hold 2 pairs", Assert.Throws<MalformedSliceException>(() => TopKSparsifier.Decode(good[..^1], destination)).Message);
        var tooMany = (byte[])good.Clone();
        BitConverter.TryWriteBytes(tooMany.AsSpan(0, 4), 9);
        Assert.Contains("count 9", Assert.Throws<MalformedSliceException>(() => TopKSparsifier.Decode(tooMany, destination)).Message);
        var outside = (byte[])good.Clone();
        BitConverter.TryWriteBytes(outside.AsSpan(6, 2), (ushort)4);
        Assert.Contains("index 4", Assert.Throws<MalformedSliceException>(() => TopKSparsifier.Decode(outside, destination)).Message);
        var repeated = (byte[])good.Clone();
        repeated[6] = repeated[4];
        repeated[7] = repeated[5];
        Assert.Contains("not ascending", Assert.Throws<MalformedSliceException>(() => TopKSparsifier.Decode(repeated, destination)).Message);
        var nan = (byte[])good.Clone();
        BitConverter.TryWriteBytes(nan.AsSpan(8, 4), float.PositiveInfinity);
        Assert.Contains("finite", Assert.Throws<MalformedSliceException>(() => TopKSparsifier.Decode(nan, destination)).Message);
    }
}
