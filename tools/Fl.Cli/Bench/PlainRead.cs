using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FlMicroservices.Cli.Bench;

/// <summary>The cheapest full read of a buffer: a wrapping integer sum of its 32-bit words over four independent vector accumulators.</summary>
public static class PlainRead
{
    /// <summary>The sum of <paramref name="bytes"/> read as 32-bit integers (modulo 2^64; a trailing partial word is ignored).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long Sum(ReadOnlySpan<byte> bytes)
    {
        var words = MemoryMarshal.Cast<byte, int>(bytes);
        ref var w = ref MemoryMarshal.GetReference(words);
        var n = (nuint)words.Length;
        nuint i = 0;
        long sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<int> a = default, b = default, c = default, d = default;
            var step = (nuint)Vector512<int>.Count;
            for (; i + 4 * step <= n; i += 4 * step)
            {
                a += Vector512.LoadUnsafe(ref w, i);
                b += Vector512.LoadUnsafe(ref w, i + step);
                c += Vector512.LoadUnsafe(ref w, i + 2 * step);
                d += Vector512.LoadUnsafe(ref w, i + 3 * step);
            }
            sum += Vector512.Sum((a + b) + (c + d));
        }
        else if (Vector.IsHardwareAccelerated)
        {
            Vector<int> a = default, b = default, c = default, d = default;
            var step = (nuint)Vector<int>.Count;
            for (; i + 4 * step <= n; i += 4 * step)
            {
                a += Vector.LoadUnsafe(ref w, i);
                b += Vector.LoadUnsafe(ref w, i + step);
                c += Vector.LoadUnsafe(ref w, i + 2 * step);
                d += Vector.LoadUnsafe(ref w, i + 3 * step);
            }
            sum += Vector.Sum((a + b) + (c + d));
        }
        for (; i < n; i++) sum += Unsafe.Add(ref w, i);
        return sum;
    }

    /// <summary>
    /// The wrapping integer sum of eight equally long buffers read in lockstep, as the service's grouped fold reads a group's
    /// members: eight streams at once, which keeps more loads from memory in flight than one buffer after another.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long SumInLockstep(ReadOnlySpan<byte> b0, ReadOnlySpan<byte> b1, ReadOnlySpan<byte> b2, ReadOnlySpan<byte> b3,
        ReadOnlySpan<byte> b4, ReadOnlySpan<byte> b5, ReadOnlySpan<byte> b6, ReadOnlySpan<byte> b7)
    {
        var length = b0.Length;
        if (b1.Length != length || b2.Length != length || b3.Length != length || b4.Length != length || b5.Length != length
            || b6.Length != length || b7.Length != length)
            throw new ArgumentException("The eight buffers must be equally long.");
        ref var w0 = ref Word(b0);
        ref var w1 = ref Word(b1);
        ref var w2 = ref Word(b2);
        ref var w3 = ref Word(b3);
        ref var w4 = ref Word(b4);
        ref var w5 = ref Word(b5);
        ref var w6 = ref Word(b6);
        ref var w7 = ref Word(b7);
        var n = (nuint)(length / sizeof(int));
        nuint i = 0;
        long sum = 0;
        // 512-bit vectors also where they are two 256-bit halves: the loads are what is measured.
        Vector512<int> a = default, b = default, c = default, d = default;
        for (; i + (nuint)Vector512<int>.Count <= n; i += (nuint)Vector512<int>.Count)
        {
            a += Vector512.LoadUnsafe(ref w0, i) + Vector512.LoadUnsafe(ref w1, i);
            b += Vector512.LoadUnsafe(ref w2, i) + Vector512.LoadUnsafe(ref w3, i);
            c += Vector512.LoadUnsafe(ref w4, i) + Vector512.LoadUnsafe(ref w5, i);
            d += Vector512.LoadUnsafe(ref w6, i) + Vector512.LoadUnsafe(ref w7, i);
        }
        sum += Vector512.Sum((a + b) + (c + d));
        for (; i < n; i++)
            sum += Unsafe.Add(ref w0, i) + Unsafe.Add(ref w1, i) + Unsafe.Add(ref w2, i) + Unsafe.Add(ref w3, i)
                + Unsafe.Add(ref w4, i) + Unsafe.Add(ref w5, i) + Unsafe.Add(ref w6, i) + Unsafe.Add(ref w7, i);
        return sum;
    }

    private static ref int Word(ReadOnlySpan<byte> bytes) => ref MemoryMarshal.GetReference(MemoryMarshal.Cast<byte, int>(bytes));
}
