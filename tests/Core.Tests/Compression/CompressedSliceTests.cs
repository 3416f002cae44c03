using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Compression;

namespace FlMicroservices.Core.Tests.Compression;

public class CompressedSliceTests
{
    private static UpdateSlice Plain(int elements, int seed = 1)
    {
        var random = new Random(seed);
        // Roughly normal, as trained updates are: quantised codes cluster, so zstd has something to squeeze.
        var values = Enumerable.Range(0, elements).Select(_ => (float)(random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 0.01f).ToArray();
        return UpdateSliceCodec.Slice("task-1", 2, "client-3", values, 60, elements).Single();
    }

    [Theory]
    [InlineData("q8")]
    [InlineData("q4")]
    [InlineData("topk:0.01")]
    [InlineData("zstd")]
    [InlineData("q8+zstd")]
    [InlineData("topk:0.01+zstd")]
    public void A_compressed_slice_crosses_the_wire_and_expands_to_what_the_client_computed(string text)
    {
        var spec = CompressionSpec.Parse(text);
        var plain = Plain(10_000);

        var (wire, decoded) = new SliceCompressor(spec).Compress(plain, seed: 9);
        var bytes = UpdateSliceCodec.Encode(wire);
        var received = UpdateSliceCodec.Decode(bytes);
        var expanded = SliceExpander.Expand(received, spec);

        Assert.Equal(decoded, expanded.ToFloats());
        Assert.Equal((plain.TaskId, plain.Round, plain.ClientId, plain.SliceIndex, plain.ElementOffset, plain.Weight, 10_000),
            (expanded.TaskId, expanded.Round, expanded.ClientId, expanded.SliceIndex, expanded.ElementOffset, expanded.Weight, expanded.ElementCount));
        Assert.Equal(SliceEncoding.None, expanded.Encoding);
        Assert.True(bytes.Length < UpdateSliceCodec.EncodedLength(plain), $"{text}: {bytes.Length} bytes");
        if (spec.IsLossy) return;
        Assert.Equal(plain.ToFloats(), expanded.ToFloats()); // zstd alone is lossless
    }

    [Fact]
    public void Wire_sizes_match_the_codings()
    {
        var plain = Plain(65_536);
        int Size(string text) => UpdateSliceCodec.Encode(new SliceCompressor(CompressionSpec.Parse(text)).Compress(plain, 1).Slice).Length;

        var float32 = UpdateSliceCodec.EncodedLength(plain);
        Assert.InRange(float32 / (double)Size("q8"), 3.98, 4.0);
        Assert.InRange(float32 / (double)Size("q4"), 7.9, 8.0);
        Assert.InRange(float32 / (double)Size("topk:0.01"), 65, 67);
    }

    [Fact]
    public void Payload_bytes_of_a_whole_update_add_up_its_slices()
    {
        // MNIST 2NN: 199,210 values in slices of 65,536: three full slices and one of 2,602.
        Assert.Equal(199_210L * 4, CompressionSpec.Parse("zstd").PayloadBytes(199_210, 65_536));
        Assert.Equal(3 * (4 + 16 * 8 + 65_536) + (4 + 8 + 2_602), CompressionSpec.Parse("q8").PayloadBytes(199_210, 65_536));
        Assert.Equal(3 * (4 + 656 * 6) + (4 + 27 * 6), CompressionSpec.Parse("topk:0.01").PayloadBytes(199_210, 65_536));
    }

    [Fact]
    public void A_plain_slice_is_written_in_format_version_1_and_an_encoded_one_in_version_2()
    {
        var plain = Plain(8);
        Assert.Equal(1, UpdateSliceCodec.Encode(plain)[4]);
        var encoded = UpdateSliceCodec.Encode(new SliceCompressor(CompressionSpec.Parse("q8")).Compress(plain, 1).Slice);
        Assert.Equal((2, (byte)SliceEncoding.Q8), (encoded[4], encoded[6]));
    }

    [Fact]
    public void A_slice_in_an_encoding_the_round_does_not_take_is_refused_with_a_reason()
    {
        var q8 = new SliceCompressor(CompressionSpec.Parse("q8")).Compress(Plain(100), 1).Slice;

        Assert.Contains("Q8-encoded, but the round takes none", Assert.Throws<MalformedSliceException>(() => SliceExpander.Expand(q8, CompressionSpec.None)).Message);
        Assert.Contains("takes topk:0.01", Assert.Throws<MalformedSliceException>(() => SliceExpander.Expand(q8, CompressionSpec.Parse("topk:0.01"))).Message);
        Assert.Contains("not-encoded, but the round takes q4", Assert.Throws<MalformedSliceException>(() => SliceExpander.Expand(Plain(10), CompressionSpec.Parse("q4"))).Message);
        // A zstd round also takes its coding alone (zstd is left off where it does not shrink a slice).
        Assert.Equal(100, SliceExpander.Expand(q8, CompressionSpec.Parse("q8+zstd")).ElementCount);
    }

    [Fact]
    public void Malformed_compressed_payloads_are_rejected_with_a_reason_not_a_crash()
    {
        var spec = CompressionSpec.Parse("q8+zstd");
        var wire = new SliceCompressor(spec).Compress(Plain(1000), 1).Slice;

        var garbage = wire with { Payload = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, Encoding = SliceEncoding.Q8Zstd, ElementCount = 1000 };
        Assert.Contains("zstd", Assert.Throws<MalformedSliceException>(() => SliceExpander.Expand(garbage, spec)).Message);
        // A frame that expands far beyond what 10 elements can take is refused before it is held in full.
        var bomb = wire with { Payload = ZstdSlices.Compress(new byte[200_000]), Encoding = SliceEncoding.Q8Zstd, ElementCount = 10 };
        Assert.Contains("more than 94 bytes", Assert.Throws<MalformedSliceException>(() => SliceExpander.Expand(bomb, spec)).Message);
        // The right length of zstd around the wrong q8 layout.
        var lying = wire with { ElementCount = 999 };
        Assert.Contains("does not hold 999 elements", Assert.Throws<MalformedSliceException>(() => SliceExpander.Expand(lying, spec)).Message);
    }

    [Fact]
    public void The_codec_refuses_unknown_encodings_and_oversize_payloads()
    {
        var bytes = UpdateSliceCodec.Encode(new SliceCompressor(CompressionSpec.Parse("q8")).Compress(Plain(16), 1).Slice);
        bytes[6] = 0x7F;
        Assert.Contains("unknown slice encoding 127", Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Decode(bytes)).Message);
        bytes[6] = 0;
        Assert.Contains("unknown slice encoding 0", Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Decode(bytes)).Message);

        var oversize = Plain(16) with { Payload = new byte[UpdateSliceCodec.MaxPayloadBytes + 1], Encoding = SliceEncoding.Zstd, ElementCount = 16 };
        Assert.Contains("exceeds", Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Encode(oversize)).Message);
        var tooMany = Plain(16) with { Encoding = SliceEncoding.Zstd, ElementCount = UpdateSliceCodec.MaxElements + 1 };
        Assert.Contains("element count", Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Encode(tooMany)).Message);
    }

    [Fact]
    public void Reading_an_encoded_slice_as_floats_is_refused()
    {
        var q4 = new SliceCompressor(CompressionSpec.Parse("q4")).Compress(Plain(16), 1).Slice;
        Assert.Contains("expand it first", Assert.Throws<InvalidOperationException>(() => q4.ToFloats()).Message);
    }

    [Theory]
    [InlineData(null, "none")]
    [InlineData("none", "none")]
    [InlineData("Q8", "q8")]
    [InlineData("q4+zstd", "q4+zstd")]
    [InlineData("topk:0.01", "topk:0.01")]
    [InlineData("topk:0.05+zstd", "topk:0.05+zstd")]
    [InlineData("zstd", "zstd")]
    public void Compression_texts_parse_to_their_canonical_form(string? text, string canonical) =>
        Assert.Equal(canonical, CompressionSpec.Parse(text).ToString());

    [Theory]
    [InlineData("q16", "is not one of")]
    [InlineData("topk", "e.g. topk:0.01")]
    [InlineData("topk:0", "(0, 1]")]
    [InlineData("topk:1.5", "(0, 1]")]
    [InlineData("zstd+zstd", "is not one of")]
    [InlineData("q8+q4", "is not one of")]
    [InlineData("topkx:0.1", "is not one of")]
    public void Bad_compression_texts_are_refused_naming_them(string text, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => CompressionSpec.Parse(text));
        Assert.Contains($"'{text}'", error.Message);
        Assert.Contains(reason, error.Message);
    }
}
