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
}
