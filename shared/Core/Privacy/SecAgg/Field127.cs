using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>An element of the prime field GF(p), p = 2^127 − 1 (a Mersenne prime): the field of the Shamir shares.</summary>
/// <remarks>Design notes: docs/secure-aggregation.md, "Library notes: Field127".</remarks>
public readonly struct Field127 : IEquatable<Field127>
{
    /// <summary>Bytes of one encoded element.</summary>
    public const int ByteCount = 16;

    /// <summary>p = 2^127 − 1.</summary>
    public static readonly UInt128 Modulus = (UInt128.One << 127) - UInt128.One;

    private readonly UInt128 _value;

    private Field127(UInt128 canonical) => _value = canonical;

    public static Field127 Zero => default;
    public static Field127 One => new(UInt128.One);

    /// <summary>The canonical representative, in [0, p).</summary>
    public UInt128 Value => _value;

    public bool IsZero => _value == UInt128.Zero;

    /// <summary>The element <paramref name="value"/> mod p (any 128-bit value is accepted).</summary>
    public static Field127 Reduce(UInt128 value)
    {
        var folded = (value & Modulus) + (value >> 127); // ≤ p + 1
        return new Field127(folded >= Modulus ? folded - Modulus : folded);
    }

    public static Field127 FromUInt64(ulong value) => new(value); // below p already

    public static Field127 operator +(Field127 a, Field127 b)
    {
        var sum = a._value + b._value; // < 2p < 2^128: no overflow
        return new Field127(sum >= Modulus ? sum - Modulus : sum);
    }

    public static Field127 operator -(Field127 a, Field127 b) =>
        new(a._value >= b._value ? a._value - b._value : a._value + (Modulus - b._value));

    public static Field127 operator -(Field127 a) => a._value == UInt128.Zero ? a : new Field127(Modulus - a._value);

    public static Field127 operator *(Field127 a, Field127 b)
    {
        var high = UInt128.BigMul(a._value, b._value, out var low); // a, b < 2^127, so high < 2^126
        var upper = (high << 1) | (low >> 127); // product >> 127, < 2^127
        var sum = upper + (low & Modulus); // < 2^128
        return Reduce(sum);
    }

    public static bool operator ==(Field127 a, Field127 b) => a._value == b._value;
    public static bool operator !=(Field127 a, Field127 b) => a._value != b._value;

    /// <summary>this^<paramref name="exponent"/> by square-and-multiply (0^0 = 1).</summary>
    public Field127 Pow(UInt128 exponent)
    {
        var result = One;
        var square = this;
        while (exponent != UInt128.Zero)
        {
            if ((exponent & UInt128.One) != UInt128.Zero) result *= square;
            square *= square;
            exponent >>= 1;
        }
        return result;
    }

    /// <summary>The multiplicative inverse, by Fermat: a^(p−2).</summary>
    /// <exception cref="DivideByZeroException">The element is zero.</exception>
    public Field127 Inverse()
    {
        if (IsZero) throw new DivideByZeroException("Zero has no inverse in GF(2^127 - 1).");
        return Pow(Modulus - 2);
    }

    /// <summary>
    /// Replaces every element of <paramref name="values"/> with its inverse using one field inversion and 3(n − 1)
    /// multiplications (Montgomery's trick).
    /// </summary>
    /// <exception cref="DivideByZeroException">An element is zero.</exception>
    public static void InvertAll(Span<Field127> values)
    {
        if (values.Length == 0) return;
        var prefix = new Field127[values.Length];
        var running = One;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i].IsZero) throw new DivideByZeroException("Zero has no inverse in GF(2^127 - 1).");
            prefix[i] = running;
            running *= values[i];
        }
        var inverse = running.Inverse();
        for (var i = values.Length - 1; i >= 0; i--)
        {
            var value = values[i];
            values[i] = inverse * prefix[i];
            inverse *= value;
        }
    }

    /// <summary>A uniformly random element: 127 random bits, redrawn in the 2^-127 case that they equal p.</summary>
    public static Field127 Random(RandomNumberGenerator random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[ByteCount];
        while (true)
        {
            random.GetBytes(bytes);
            var value = BinaryPrimitives.ReadUInt128LittleEndian(bytes) & Modulus;
            if (value != Modulus) return new Field127(value);
        }
    }

    /// <summary>Writes the 16-byte little-endian canonical encoding.</summary>
    public void WriteTo(Span<byte> destination) => BinaryPrimitives.WriteUInt128LittleEndian(destination, _value);

    /// <summary>Reads a 16-byte little-endian encoding; false for a value ≥ p (non-canonical, so malformed).</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out Field127 element)
    {
        var value = BinaryPrimitives.ReadUInt128LittleEndian(source);
        element = new Field127(value < Modulus ? value : UInt128.Zero);
        return value < Modulus;
    }

    public bool Equals(Field127 other) => _value == other._value;
    public override bool Equals(object? obj) => obj is Field127 other && Equals(other);
    public override int GetHashCode() => _value.GetHashCode();
    public override string ToString() => _value.ToString();
}
