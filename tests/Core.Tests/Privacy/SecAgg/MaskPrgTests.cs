using System.Buffers.Binary;
using System.Security.Cryptography;
using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Tests.Privacy.SecAgg;

public class MaskPrgTests
{
    private static readonly byte[] Seed = Convert.FromHexString("000102030405060708090A0B0C0D0E0F");

    /// <summary>The definition, one AES call per 16-byte counter block.</summary>
    private static uint[] Reference(byte[] seed, int length)
    {
        using var aes = Aes.Create();
        aes.Key = seed;
        var result = new uint[length];
        var block = new byte[16];
        var output = new byte[16];
        for (var i = 0; i < length; i++)
        {
            if (i % 4 == 0)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(block, (ulong)(i / 4));
                aes.EncryptEcb(block, output, PaddingMode.None);
            }
            result[i] = BinaryPrimitives.ReadUInt32LittleEndian(output.AsSpan(i % 4 * 4));
        }
        return result;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16_384)] // exactly one batch
    [InlineData(16_385)]
    [InlineData(50_001)]
    public void The_batched_keystream_equals_the_block_by_block_definition(int length)
    {
        var mask = new uint[length];
        MaskPrg.Fill(Seed, mask);
        Assert.Equal(Reference(Seed, length), mask);
    }

    [Fact]
    public void The_first_block_is_AES_128_of_the_zero_counter()
    {
        // FIPS-197 Appendix C.1 key; AES-128(key, 0^128) computed independently of MaskPrg.
        using var aes = Aes.Create();
        aes.Key = Seed;
        var expected = aes.EncryptEcb(new byte[16], PaddingMode.None);
        var mask = new uint[4];
        MaskPrg.Fill(Seed, mask);
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(expected), mask[0]);
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(expected.AsSpan(12)), mask[3]);
    }

    [Fact]
    public void Adding_and_subtracting_a_mask_wraps_modulo_2_to_the_32_and_cancels()
    {
        var values = new uint[20_000];
        for (var i = 0; i < values.Length; i++) values[i] = (uint)(i * 2_654_435_761L);
        var copy = values.ToArray();
        var mask = new uint[values.Length];
        MaskPrg.Fill(Seed, mask);

        MaskPrg.Add(Seed, values);
        for (var i = 0; i < values.Length; i++) Assert.Equal(unchecked(copy[i] + mask[i]), values[i]);
        MaskPrg.Subtract(Seed, values);
        Assert.Equal(copy, values);
    }

    [Fact]
    public void Different_seeds_give_different_masks_and_a_wrong_seed_length_is_rejected()
    {
        var a = new uint[64];
        var b = new uint[64];
        MaskPrg.Fill(Seed, a);
        var other = (byte[])Seed.Clone();
        other[15] ^= 1;
        MaskPrg.Fill(other, b);
        Assert.NotEqual(a, b);
        Assert.Throws<ArgumentException>(() => MaskPrg.Fill(new byte[32], a));
    }

    [Fact]
    public void The_seeded_generator_is_reproducible_and_purpose_separated()
    {
        using var a = new SeededRandomNumberGenerator(3, "x");
        using var b = new SeededRandomNumberGenerator(3, "x");
        using var c = new SeededRandomNumberGenerator(3, "y");
        var (x, y, z) = (new byte[3000], new byte[3000], new byte[3000]);
        a.GetBytes(x.AsSpan(0, 1000));
        a.GetBytes(x.AsSpan(1000)); // split reads give the same stream
        b.GetBytes(y);
        c.GetBytes(z);
        Assert.Equal(x, y);
        Assert.NotEqual(x, z);
    }
}
