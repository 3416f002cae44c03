using System.Numerics;
using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Tests.Privacy.SecAgg;

public class Field127Tests
{
    private static readonly BigInteger P = BigInteger.Pow(2, 127) - 1;

    private static BigInteger Big(Field127 x) => (BigInteger)x.Value;

    private static Field127 Element(BigInteger value) => Field127.Reduce((UInt128)value);

    private static Field127[] Samples()
    {
        using var random = new SeededRandomNumberGenerator(7, "field");
        var samples = new List<Field127> { Field127.Zero, Field127.One, Element(P - 1), Element(P - 2), Element(BigInteger.Pow(2, 126)) };
        for (var i = 0; i < 60; i++) samples.Add(Field127.Random(random));
        return [.. samples];
    }

    [Fact]
    public void Arithmetic_agrees_with_big_integers_modulo_the_Mersenne_prime()
    {
        var samples = Samples();
        foreach (var a in samples)
        {
            foreach (var b in samples)
            {
                Assert.Equal((Big(a) + Big(b)) % P, Big(a + b));
                Assert.Equal(((Big(a) - Big(b)) % P + P) % P, Big(a - b));
                Assert.Equal(Big(a) * Big(b) % P, Big(a * b));
            }
        }
    }

    [Fact]
    public void The_field_axioms_hold_on_samples()
    {
        var samples = Samples();
        for (var i = 0; i + 2 < samples.Length; i++)
        {
            var (a, b, c) = (samples[i], samples[i + 1], samples[i + 2]);
            Assert.Equal(a + b, b + a);
            Assert.Equal(a * b, b * a);
            Assert.Equal((a + b) + c, a + (b + c));
            Assert.Equal((a * b) * c, a * (b * c));
            Assert.Equal(a * (b + c), a * b + a * c);
            Assert.Equal(Field127.Zero, a + -a);
            Assert.Equal(a, a - b + b);
            Assert.Equal(a, a * Field127.One);
            if (!a.IsZero) Assert.Equal(Field127.One, a * a.Inverse());
        }
    }

    [Fact]
    public void Batch_inversion_matches_one_by_one_inversion_and_rejects_zero()
    {
        var values = Samples().Where(x => !x.IsZero).ToArray();
        var inverted = values.ToArray();
        Field127.InvertAll(inverted);
        for (var i = 0; i < values.Length; i++) Assert.Equal(values[i].Inverse(), inverted[i]);
        Assert.Throws<DivideByZeroException>(() => Field127.Zero.Inverse());
        Assert.Throws<DivideByZeroException>(() => Field127.InvertAll(new[] { Field127.One, Field127.Zero }));
    }

    [Fact]
    public void Two_to_the_127_is_one_and_reduction_folds_the_top_bit()
    {
        Assert.Equal(Field127.One, Field127.FromUInt64(2).Pow(127));
        Assert.Equal(Field127.One, Element(P - 1) * Element(P - 1)); // (−1)² = 1
        Assert.Equal(Field127.One, Field127.Reduce(UInt128.MaxValue)); // 2^128 − 1 = 2p + 1
        Assert.Equal(Field127.Zero, Field127.Reduce(Field127.Modulus));
    }

    [Fact]
    public void Encoding_is_canonical_little_endian()
    {
        var bytes = new byte[Field127.ByteCount];
        Element(0x0102).WriteTo(bytes);
        Assert.Equal(new byte[] { 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, bytes);
        Assert.True(Field127.TryRead(bytes, out var x));
        Assert.Equal(Element(0x0102), x);

        Array.Fill(bytes, (byte)0xFF);
        bytes[15] = 0x7F; // exactly p: not canonical
        Assert.False(Field127.TryRead(bytes, out _));
        bytes[0] = 0xFE; // p − 1
        Assert.True(Field127.TryRead(bytes, out var top));
        Assert.Equal(P - 1, Big(top));
    }
}
