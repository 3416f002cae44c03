using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>
/// A deterministic <see cref="RandomNumberGenerator"/>: the AES-128-CTR keystream (<see cref="MaskPrg"/>) under a key derived
/// from a seed. For reproducible simulations, tests and public randomness that all parties must agree on (the neighbour
/// graph); never for the keys of a real deployment, whose secrets must come from <see cref="RandomNumberGenerator.Create()"/>.
/// </summary>
/// <remarks>Not thread-safe.</remarks>
public sealed class SeededRandomNumberGenerator : RandomNumberGenerator
{
    private const int BufferBytes = 1024;

    private readonly byte[] _key;
    private readonly byte[] _buffer = new byte[BufferBytes];
    private int _available;
    private ulong _nextBlock;

    /// <summary>A generator keyed by HKDF-SHA256(<paramref name="seed"/>, info = <paramref name="purpose"/>).</summary>
    public SeededRandomNumberGenerator(ReadOnlySpan<byte> seed, string purpose = "")
    {
        ArgumentNullException.ThrowIfNull(purpose);
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, seed.ToArray(), MaskPrg.SeedBytes, [],
            System.Text.Encoding.UTF8.GetBytes("FlMicroservices.SecAgg.SeededRandom/" + purpose));
    }

    /// <summary>A generator keyed by the little-endian bytes of <paramref name="seed"/>.</summary>
    public SeededRandomNumberGenerator(long seed, string purpose = "")
        : this(LittleEndian(seed), purpose)
    {
    }

    private static byte[] LittleEndian(long value)
    {
        var bytes = new byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    public override void GetBytes(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        GetBytes(data.AsSpan());
    }

    public override void GetBytes(byte[] data, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(data);
        GetBytes(data.AsSpan(offset, count));
    }

    public override void GetBytes(Span<byte> data)
    {
        while (data.Length > 0)
        {
            if (_available == 0)
            {
                MaskPrg.FillBytes(_key, _nextBlock, _buffer);
                _nextBlock += BufferBytes / 16;
                _available = BufferBytes;
            }
            var take = Math.Min(_available, data.Length);
            _buffer.AsSpan(BufferBytes - _available, take).CopyTo(data);
            _available -= take;
            data = data[take..];
        }
    }

    public override void GetNonZeroBytes(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        GetNonZeroBytes(data.AsSpan());
    }

    public override void GetNonZeroBytes(Span<byte> data)
    {
        Span<byte> one = stackalloc byte[1];
        for (var i = 0; i < data.Length; i++)
        {
            do GetBytes(one);
            while (one[0] == 0);
            data[i] = one[0];
        }
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), by rejection (no modulo bias).</summary>
    public int NextInt32(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        var rejectBelow = (uint)((1UL << 32) % (uint)bound);
        Span<byte> bytes = stackalloc byte[4];
        while (true)
        {
            GetBytes(bytes);
            var value = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
            if (value >= rejectBelow) return (int)(value % (uint)bound);
        }
    }
}
