using System.Buffers;
using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>
/// The pseudorandom generator that expands a 16-byte seed into a mask over Z_2^32: AES-128 in counter mode.
/// </summary>
/// <remarks>Design notes: docs/secure-aggregation.md, "Library notes: MaskPrg".</remarks>
public static class MaskPrg
{
    /// <summary>Bytes of a seed (an AES-128 key).</summary>
    public const int SeedBytes = 16;

    private const int BlockBytes = 16;
    private const int BatchBlocks = 4096;

    /// <summary>target += PRG(seed), element-wise modulo 2^32.</summary>
    public static void Add(ReadOnlySpan<byte> seed, Span<uint> target) => Apply(seed, target, Mode.Add);

    /// <summary>target −= PRG(seed), element-wise modulo 2^32.</summary>
    public static void Subtract(ReadOnlySpan<byte> seed, Span<uint> target) => Apply(seed, target, Mode.Subtract);

    /// <summary>destination = PRG(seed).</summary>
    public static void Fill(ReadOnlySpan<byte> seed, Span<uint> destination) => Apply(seed, destination, Mode.Fill);

    /// <summary>
    /// The keystream itself, <paramref name="destination"/>.Length bytes (for derived public randomness such as the
    /// neighbour graph; masks use <see cref="Add"/>).
    /// </summary>
    public static void FillBytes(ReadOnlySpan<byte> seed, ulong firstBlock, Span<byte> destination)
    {
        if (destination.Length % BlockBytes != 0)
            throw new ArgumentException("The destination must be a whole number of 16-byte blocks.", nameof(destination));
        using var aes = CreateCipher(seed);
        var counters = ArrayPool<byte>.Shared.Rent(Math.Min(destination.Length, BatchBlocks * BlockBytes));
        try
        {
            var block = firstBlock;
            for (var offset = 0; offset < destination.Length;)
            {
                var bytes = Math.Min(BatchBlocks * BlockBytes, destination.Length - offset);
                var counterSpan = counters.AsSpan(0, bytes);
                WriteCounters(counterSpan, block);
                aes.EncryptEcb(counterSpan, destination.Slice(offset, bytes), PaddingMode.None);
                block += (ulong)(bytes / BlockBytes);
                offset += bytes;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(counters);
        }
    }

    private enum Mode
    {
        Add,
        Subtract,
        Fill,
    }

    private static Aes CreateCipher(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedBytes)
            throw new ArgumentException($"A mask seed is {SeedBytes} bytes, not {seed.Length}.", nameof(seed));
        var aes = Aes.Create();
        aes.SetKey(seed);
        return aes;
    }

    /// <summary>Writes the counter blocks firstBlock, firstBlock + 1, … into <paramref name="counters"/>.</summary>
    /// <param name="upperHalvesAreZero">The upper 8 bytes of every block are already zero (the buffer is being reused), so
    /// only the low halves need storing: one 8-byte store per block.</param>
    private static void WriteCounters(Span<byte> counters, ulong firstBlock, bool upperHalvesAreZero = false)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(counters);
        if (!upperHalvesAreZero) words.Clear();
        ref var first = ref MemoryMarshal.GetReference(words);
        var blocks = words.Length / 2;
        if (BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < blocks; i++) Unsafe.Add(ref first, 2 * i) = firstBlock + (ulong)i;
        }
        else
        {
            for (var i = 0; i < blocks; i++) Unsafe.Add(ref first, 2 * i) = BinaryPrimitives.ReverseEndianness(firstBlock + (ulong)i);
        }
    }

    private static void Apply(ReadOnlySpan<byte> seed, Span<uint> target, Mode mode)
    {
        using var aes = CreateCipher(seed);
        if (target.Length == 0) return;
        const int batchWords = BatchBlocks * BlockBytes / sizeof(uint);
        var batchBytes = Math.Min(BatchBlocks, (target.Length + 3) / 4) * BlockBytes;
        var counters = ArrayPool<byte>.Shared.Rent(batchBytes);
        var keystream = ArrayPool<byte>.Shared.Rent(batchBytes);
        try
        {
            ulong block = 0;
            for (var offset = 0; offset < target.Length; offset += batchWords)
            {
                var words = Math.Min(batchWords, target.Length - offset);
                var blocks = (words + 3) / 4;
                var counterSpan = counters.AsSpan(0, blocks * BlockBytes);
                WriteCounters(counterSpan, block, upperHalvesAreZero: offset > 0);
                block += (ulong)blocks;
                aes.EncryptEcb(counterSpan, keystream.AsSpan(0, blocks * BlockBytes), PaddingMode.None);

                var mask = MemoryMarshal.Cast<byte, uint>(keystream.AsSpan(0, words * sizeof(uint)));
                if (!BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(mask, mask);
                var slice = target.Slice(offset, words);
                switch (mode)
                {
                    case Mode.Add:
                        TensorPrimitives.Add(slice, mask, slice);
                        break;
                    case Mode.Subtract:
                        TensorPrimitives.Subtract(slice, mask, slice);
                        break;
                    default:
                        mask.CopyTo(slice);
                        break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(counters);
            ArrayPool<byte>.Shared.Return(keystream, clearArray: true);
        }
    }
}
