using FlMicroservices.Contracts.Wire;

namespace FlMicroservices.Core.Tests.Wire;

public class UpdateSliceCodecTests
{
    private static UpdateSlice[] SliceOf(float[] update, int sliceElements = 4) =>
        UpdateSliceCodec.Slice("task-1", 3, "client-7", update, 120, sliceElements).ToArray();

    [Fact]
    public void Slices_round_trip_through_the_wire_format()
    {
        var update = Enumerable.Range(0, 10).Select(i => i * 0.5f - 1).ToArray();
        var slices = SliceOf(update);

        Assert.Equal(3, slices.Length);
        var decoded = slices.Select(s => UpdateSliceCodec.Decode(UpdateSliceCodec.Encode(s))).ToArray();
        Assert.Equal(update, decoded.SelectMany(s => s.ToFloats()).ToArray());
        Assert.All(decoded, s => Assert.Equal(("task-1", 3, "client-7", 3, 120.0), (s.TaskId, s.Round, s.ClientId, s.SliceCount, s.Weight)));
        Assert.Equal([0L, 4L, 8L], decoded.Select(s => s.ElementOffset));
        Assert.Equal([4, 4, 2], decoded.Select(s => s.ElementCount));
    }

    [Fact]
    public void A_flipped_payload_bit_fails_the_checksum()
    {
        var bytes = UpdateSliceCodec.Encode(SliceOf([1f, 2f, 3f, 4f])[0]);
        bytes[^1] ^= 0x10;

        var error = Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Decode(bytes));
        Assert.Contains("checksum", error.Message);
    }

    [Fact]
    public void Truncated_and_foreign_bytes_are_rejected_with_a_reason()
    {
        var bytes = UpdateSliceCodec.Encode(SliceOf([1f, 2f, 3f, 4f])[0]);

        Assert.Contains("payload bytes", Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Decode(bytes[..^3])).Message);
        Assert.Contains("shorter", Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Decode(bytes[..10])).Message);
        var foreign = (byte[])bytes.Clone();
        foreign[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Decode(foreign)).Message);
    }

    [Fact]
    public void Oversized_slices_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SliceOf(new float[10], UpdateSliceCodec.MaxElements + 1));
        var huge = new UpdateSlice("t", 0, "c", 0, 1, 0, 1, ElementType.Float32, new byte[UpdateSliceCodec.MaxPayloadBytes + 4]);
        Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Encode(huge));
    }

    [Fact]
    public void A_slice_index_beyond_its_count_or_a_bad_weight_is_malformed()
    {
        Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Encode(new UpdateSlice("t", 0, "c", 2, 2, 0, 1, ElementType.Float32, new byte[4])));
        Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Encode(new UpdateSlice("t", 0, "c", 0, 1, 0, double.NaN, ElementType.Float32, new byte[4])));
        Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Encode(new UpdateSlice("t", 0, "c", 0, 1, 0, 1, ElementType.Float32, new byte[6])));
    }

    [Fact]
    public void The_manifest_digest_depends_on_every_slice_and_their_order()
    {
        var slices = SliceOf(Enumerable.Range(0, 12).Select(i => (float)i).ToArray());
        var digest = UpdateDigest.Of(slices);

        Assert.Equal(64, digest.Length);
        Assert.Equal(digest, UpdateDigest.Of(slices.ToArray()));
        Assert.NotEqual(digest, UpdateDigest.Of([slices[1], slices[0], slices[2]]));
        Assert.NotEqual(digest, UpdateDigest.Of(SliceOf(Enumerable.Range(1, 12).Select(i => (float)i).ToArray())));
    }
}
