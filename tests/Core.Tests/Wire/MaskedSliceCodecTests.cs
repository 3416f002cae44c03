using FlMicroservices.Contracts.Wire;

namespace FlMicroservices.Core.Tests.Wire;

/// <summary>Masked (UInt32) slices of secure aggregation on the FLS1 wire format.</summary>
public sealed class MaskedSliceCodecTests
{
    [Fact]
    public void A_masked_update_is_cut_into_uint32_slices_that_round_trip_bit_for_bit()
    {
        var masked = new uint[250];
        var rng = new Random(5);
        for (var i = 0; i < masked.Length; i++) masked[i] = (uint)rng.NextInt64(0, 1L << 32);
        masked[0] = uint.MaxValue;
        masked[1] = 0x8000_0000;

        var slices = UpdateSliceCodec.SliceMasked("task", 2, "client-1", masked, 1, 100).ToList();

        Assert.Equal([0L, 100L, 200L], slices.Select(s => s.ElementOffset));
        Assert.Equal([100, 100, 50], slices.Select(s => s.ElementCount));
        Assert.All(slices, s => Assert.Equal(ElementType.UInt32, s.ElementType));
        var decoded = slices.Select(s => UpdateSliceCodec.Decode(UpdateSliceCodec.Encode(s))).ToList();
        Assert.All(decoded, s => Assert.Equal(ElementType.UInt32, s.ElementType));
        Assert.Equal(masked, decoded.SelectMany(s => s.ToUInt32s()));
        Assert.Equal(UpdateDigest.Of(slices), UpdateDigest.Of(decoded));
        // A masked slice is never read as floats, nor a plain one as uints.
        Assert.Throws<InvalidOperationException>(() => decoded[0].ToFloats());
        var plain = UpdateSliceCodec.Slice("task", 2, "client-1", new float[10], 1, 100).Single();
        Assert.Throws<InvalidOperationException>(() => plain.ToUInt32s());
    }
}
