using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FlMicroservices.Core.Aggregation;

/// <summary>Per-slice running weighted sums of updates: the O(model size) state of every linear strategy.</summary>
/// <remarks>
/// <para>
/// Each slice keeps its own weight total, so a slice that some clients never delivered is still the mean
/// of the clients that did deliver it. Slices are allocated on first use, so an instance that owns only
/// some partitions holds only its share of the model.
/// </para>
/// <para>
/// <b>Exact, order-invariant accumulation.</b> Summing <c>weight * value</c> in floating point rounds after
/// every addition, so folding the same slices in another order (clients racing, slices redelivered late)
/// can change the last bits of the mean, and with them everything a server optimizer derives from it.
/// Here every term is rounded exactly once, on its own, and the terms are then added exactly:
/// </para>
/// <list type="number">
/// <item><c>weight * value</c> is computed in double. A float has a 24-bit significand and a weight is a whole
/// number of at most 2^29 (<see cref="MaxWeight"/>, 29 bits), so the product has at most 53 significant bits
/// and is exact; multiplying by 2^k (<see cref="FractionBits"/>) only moves the exponent and is exact too.</item>
/// <item>That scaled product is rounded to the nearest integer (ties to even) and added to a 64-bit integer
/// accumulator. The rounding depends on the term alone, and integer addition is associative and commutative,
/// so the sums, and therefore the means, are identical bit for bit whatever the order of clients and slices.</item>
/// <item>Weight totals are whole numbers summed as <see cref="long"/>: exact as well. They are the denominator of the
/// mean, so a total summed in floating point (fractional weights, say) would bring the order back in through it.</item>
/// </list>
/// <para>
/// <b>Precision and range</b> (k = <see cref="DefaultFractionBits"/> = 32 unless chosen otherwise). Each term is off
/// by at most 2^-(k+1) (1.2e-10) before the division by the weight total, so the mean of n clients with total weight W
/// is within n * 2^-(k+1) / W of the exact weighted mean (at most 1.2e-10, and 1.2e-12 when clients average 100
/// examples), about one float ulp at 1e-3, so x + mean is at float precision for parameters of that size or larger.
/// (Deltas far smaller than 2^-32 lose relative precision; that is the price of a fixed grid.) An accumulator holds at most
/// 2^63 / 2^k, i.e. per slice <c>sum over folds of weight * max|value|</c> must stay below 2^31 (2.1e9), for example a
/// million examples per round with deltas up to 2,000 in magnitude. Memory is 8 bytes per parameter: twice the
/// float model.
/// </para>
/// <para>
/// <b>Overflow policy.</b> Each slice carries a bound, the sum over its folds of <c>ceil(weight * max|value| * 2^k)</c>,
/// which is at least the magnitude of every accumulator in the slice. A fold that would take the bound past
/// <see cref="long.MaxValue"/> is refused with an <see cref="OverflowException"/> before anything changes, so nothing ever
/// wraps. The check is conservative (it can refuse a fold whose large values sit in different elements than the
/// accumulated ones), and because it depends only on the set of folds, whether a round overflows does not depend on
/// the order either.
/// </para>
/// <para>
/// <b>Speed.</b> A fold is two passes over the slice: an integer pass for max|value| (also catching NaN and infinities),
/// so that the range is checked before anything changes, then, while the slice is still in cache, the accumulation.
/// When the largest term is below 2^51 (weight * max|value| &lt; 2^19 at k = 32, the usual case) rounding and
/// conversion are one vectorised addition of 1.5 * 2^52, which leaves the rounded integer in the low mantissa bits:
/// per element a widen, a multiply, an add and two integer operations (256-bit vectors; 512-bit ones measured slower
/// here, as unaligned 64-byte loads split cache lines). Larger terms take an exact scalar path giving the same integers.
/// The fold moves 20 bytes per element against 12 for a float multiply-add, and runs at about 0.6 to 0.7 of its speed.
/// </para>
/// </remarks>
public sealed class WeightedSliceSums
{
    /// <summary>The default number of fractional bits k: values are summed in units of 2^-32.</summary>
    public const int DefaultFractionBits = 32;

    /// <summary>The largest weight accepted: 2^29, so that a weight times a float is exact in double.</summary>
    public const double MaxWeight = 536_870_912;

    private const double Magic = 6_755_399_441_055_744.0; // 1.5 * 2^52: adding it rounds |t| < 2^51 to an integer
    private const long MagicBits = 0x4338_0000_0000_0000; // BitConverter.DoubleToInt64Bits(Magic)
    private const double FastLimit = 2_251_799_813_685_248.0; // 2^51
    private const double TwoTo63 = 9_223_372_036_854_775_808.0;
    private const int PositiveInfinityBits = 0x7F80_0000;

    private readonly long[]?[] _sums;
    private readonly long[] _weights;
    private readonly long[] _bounds;
    private readonly double _scale;

    public WeightedSliceSums(int parameterCount, int sliceElements)
        : this(parameterCount, sliceElements, DefaultFractionBits)
    {
    }

    /// <param name="parameterCount">Model size.</param>
    /// <param name="sliceElements">Elements per slice (the last slice may be shorter).</param>
    /// <param name="fractionBits">k: values are summed in units of 2^-k; the range per slice is 2^(63-k) (see remarks).</param>
    public WeightedSliceSums(int parameterCount, int sliceElements, int fractionBits)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sliceElements);
        ArgumentOutOfRangeException.ThrowIfNegative(fractionBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fractionBits, 62);
        ParameterCount = parameterCount;
        SliceElements = sliceElements;
        FractionBits = fractionBits;
        SliceCount = (int)((parameterCount + (long)sliceElements - 1) / sliceElements);
        _sums = new long[]?[SliceCount];
        _weights = new long[SliceCount];
        _bounds = new long[SliceCount];
        _scale = Math.ScaleB(1.0, fractionBits);
    }

    public int ParameterCount { get; }
    public int SliceElements { get; }
    public int SliceCount { get; }
    public int FoldedSlices { get; private set; }

    /// <summary>k: sums are kept in units of 2^-k.</summary>
    public int FractionBits { get; }

    /// <summary>True for a weight <see cref="Fold"/> accepts: a whole number from 1 to <see cref="MaxWeight"/>.</summary>
    public static bool IsValidWeight(double weight) => weight >= 1 && weight <= MaxWeight && weight == Math.Floor(weight);

    public int SliceLength(int sliceIndex) => Math.Min(SliceElements, ParameterCount - sliceIndex * SliceElements);

    /// <summary>The total weight folded into slice <paramref name="sliceIndex"/> (exact: a sum of whole numbers).</summary>
    public double WeightOf(int sliceIndex) => _weights[sliceIndex];

    /// <summary>Adds <paramref name="weight"/> * <paramref name="values"/> to slice <paramref name="sliceIndex"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Bad slice index, or a weight that is not a whole number in [1, <see cref="MaxWeight"/>].</exception>
    /// <exception cref="ArgumentException">Wrong length, or a value that is NaN or infinite.</exception>
    /// <exception cref="OverflowException">The slice's sums could leave the fixed-point range; nothing was added.</exception>
    public void Fold(int sliceIndex, ReadOnlySpan<float> values, double weight)
    {
        if ((uint)sliceIndex >= (uint)SliceCount)
            throw new ArgumentOutOfRangeException(nameof(sliceIndex), sliceIndex, $"The model has {SliceCount} slices.");
        var length = SliceLength(sliceIndex);
        if (values.Length != length)
            throw new ArgumentException($"Slice {sliceIndex} must hold {length} values, not {values.Length}.", nameof(values));
        if (!IsValidWeight(weight))
            throw new ArgumentOutOfRangeException(nameof(weight), weight,
                $"A weight must be a whole number (an example count) from 1 to {MaxWeight:0}, so that sums stay exact.");

        var largestBits = MaxAbsBits(values);
        if (largestBits >= PositiveInfinityBits)
            throw new ArgumentException($"Slice {sliceIndex} contains NaN or infinite values.", nameof(values));
        var largest = BitConverter.Int32BitsToSingle(largestBits);
        var factor = weight * _scale; // exact: a whole number times a power of two
        var peak = largest * factor; // exact (see remarks): the largest scaled term
        var headroom = long.MaxValue - _bounds[sliceIndex];
        if (!(peak < TwoTo63) || (long)Math.Ceiling(peak) > headroom)
            throw new OverflowException(
                $"Slice {sliceIndex}: folding weight {weight} times values up to {largest:R} could exceed the exact accumulator range " +
                $"(per slice, the sum of weight * max|value| must stay below 2^{63 - FractionBits} = {Math.ScaleB(1.0, 63 - FractionBits):R}). " +
                "Nothing was folded; the update is out of range for exact aggregation.");
        var bound = _bounds[sliceIndex] + (long)Math.Ceiling(peak);
        var total = checked(_weights[sliceIndex] + (long)weight);

        var sums = _sums[sliceIndex] ??= new long[length];
        if (peak < FastLimit) AccumulateRounded(values, factor, sums);
        else AccumulateRoundedLarge(values, factor, sums);
        _bounds[sliceIndex] = bound;
        _weights[sliceIndex] = total;
        FoldedSlices++;
    }

    /// <summary>Writes the weighted mean; slices nobody delivered are zero (no movement).</summary>
    /// <remarks>Each element is <c>(float)(sum / (totalWeight * 2^k))</c> with the division in double: a function of the exact sums only.</remarks>
    public void WriteMean(Span<float> destination)
    {
        if (destination.Length != ParameterCount)
            throw new ArgumentException($"Destination must hold {ParameterCount} values.", nameof(destination));
        for (var i = 0; i < SliceCount; i++)
        {
            var target = destination.Slice(i * SliceElements, SliceLength(i));
            var sums = _sums[i];
            if (sums is null) { target.Clear(); continue; }
            var denominator = _weights[i] * _scale; // exact for totals below 2^53
            if (_bounds[i] < (long)FastLimit) DivideExactSmall(sums, denominator, target);
            else DivideScalar(sums, denominator, target);
        }
    }

    /// <summary>Writes the exact sums, weight totals and bounds (only the slices that were folded into).</summary>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("WeightedSliceSums");
        writer.Write(ParameterCount);
        writer.Write(SliceElements);
        writer.Write(FractionBits);
        writer.Write(FoldedSlices);
        CheckpointFormat.WriteLongs(writer, _weights);
        CheckpointFormat.WriteLongs(writer, _bounds);
        for (var i = 0; i < SliceCount; i++)
        {
            var sums = _sums[i];
            writer.Write(sums is not null);
            if (sums is not null) CheckpointFormat.WriteLongs(writer, sums);
        }
    }

    /// <summary>Replaces this instance's state with one written by <see cref="WriteTo"/> from an instance of the same shape.</summary>
    public void ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        CheckpointFormat.ExpectTag(reader, "WeightedSliceSums");
        var (parameters, sliceElements, bits) = (reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32());
        if (parameters != ParameterCount || sliceElements != SliceElements || bits != FractionBits)
            throw new InvalidDataException(
                $"Checkpoint is of sums over {parameters} parameters in slices of {sliceElements} at 2^-{bits}; this round has {ParameterCount}, {SliceElements}, 2^-{FractionBits}.");
        var folded = reader.ReadInt32();
        var weights = CheckpointFormat.ReadLongs(reader, SliceCount, "slice weights");
        var bounds = CheckpointFormat.ReadLongs(reader, SliceCount, "slice bounds");
        var sums = new long[]?[SliceCount];
        for (var i = 0; i < SliceCount; i++)
            if (reader.ReadBoolean()) sums[i] = CheckpointFormat.ReadLongs(reader, SliceLength(i), $"slice {i}");
        weights.CopyTo(_weights, 0);
        bounds.CopyTo(_bounds, 0);
        sums.CopyTo(_sums, 0);
        FoldedSlices = folded;
    }

    // The largest |value| as its bit pattern: with the sign bit cleared, floats order like their bits as integers, and
    // NaN and the infinities are the patterns from 0x7F800000 up. One integer pass, cheaper than a float max with NaN rules.
    private static int MaxAbsBits(ReadOnlySpan<float> values)
    {
        ref var v = ref Unsafe.As<float, int>(ref MemoryMarshal.GetReference(values));
        var n = (nuint)values.Length;
        nuint i = 0;
        var largest = 0;
        if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<int>.Count)
        {
            var mask = Vector256.Create(0x7FFF_FFFF);
            var max = Vector256<int>.Zero;
            for (; i + (nuint)Vector256<int>.Count <= n; i += (nuint)Vector256<int>.Count)
                max = Vector256.Max(max, Vector256.LoadUnsafe(ref v, i) & mask);
            largest = HorizontalMax(Vector128.Max(max.GetLower(), max.GetUpper()), largest);
        }
        if (Vector128.IsHardwareAccelerated && n - i >= (nuint)Vector128<int>.Count)
        {
            var mask = Vector128.Create(0x7FFF_FFFF);
            var max = Vector128<int>.Zero;
            for (; i + (nuint)Vector128<int>.Count <= n; i += (nuint)Vector128<int>.Count)
                max = Vector128.Max(max, Vector128.LoadUnsafe(ref v, i) & mask);
            largest = HorizontalMax(max, largest);
        }
        for (; i < n; i++)
            largest = Math.Max(Unsafe.Add(ref v, i) & 0x7FFF_FFFF, largest);
        return largest;
    }

    private static int HorizontalMax(Vector128<int> lanes, int largest)
    {
        for (var j = 0; j < Vector128<int>.Count; j++) largest = Math.Max(lanes.GetElement(j), largest);
        return largest;
    }

    // sums[i] += round(values[i] * factor), for |values[i] * factor| < 2^51. The product is exact; adding 1.5 * 2^52 puts the
    // sum in [2^52, 2^53), where doubles are exactly the integers, so that addition is the rounding (to nearest, ties to even)
    // and the integer is the difference of the bit patterns. Every path below performs the same IEEE operations per element.
    private static void AccumulateRounded(ReadOnlySpan<float> values, double factor, Span<long> sums)
    {
        ref var v = ref MemoryMarshal.GetReference(values);
        ref var a = ref MemoryMarshal.GetReference(sums);
        var n = (nuint)values.Length;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<float>.Count)
        {
            var f = Vector256.Create(factor);
            var magic = Vector256.Create(Magic);
            var bits = Vector256.Create(MagicBits);
            for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref v, i));
                var low = (lower * f + magic).AsInt64() - bits;
                var high = (upper * f + magic).AsInt64() - bits;
                (Vector256.LoadUnsafe(ref a, i) + low).StoreUnsafe(ref a, i);
                (Vector256.LoadUnsafe(ref a, i + (nuint)Vector256<long>.Count) + high).StoreUnsafe(ref a, i + (nuint)Vector256<long>.Count);
            }
        }
        if (Vector128.IsHardwareAccelerated && n - i >= (nuint)Vector128<float>.Count)
        {
            var f = Vector128.Create(factor);
            var magic = Vector128.Create(Magic);
            var bits = Vector128.Create(MagicBits);
            for (; i + (nuint)Vector128<float>.Count <= n; i += (nuint)Vector128<float>.Count)
            {
                var (lower, upper) = Vector128.Widen(Vector128.LoadUnsafe(ref v, i));
                var low = (lower * f + magic).AsInt64() - bits;
                var high = (upper * f + magic).AsInt64() - bits;
                (Vector128.LoadUnsafe(ref a, i) + low).StoreUnsafe(ref a, i);
                (Vector128.LoadUnsafe(ref a, i + (nuint)Vector128<long>.Count) + high).StoreUnsafe(ref a, i + (nuint)Vector128<long>.Count);
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref a, i) += BitConverter.DoubleToInt64Bits(Unsafe.Add(ref v, i) * factor + Magic) - MagicBits;
    }

    // The same integers for terms up to 2^63 (the bound check keeps every rounded term and sum in range).
    private static void AccumulateRoundedLarge(ReadOnlySpan<float> values, double factor, Span<long> sums)
    {
        for (var i = 0; i < values.Length; i++)
            sums[i] += (long)Math.Round(values[i] * factor, MidpointRounding.ToEven);
    }

    // |sums[i]| < 2^51: the integer converts to double exactly through the same 1.5 * 2^52 trick in reverse.
    private static void DivideExactSmall(ReadOnlySpan<long> sums, double denominator, Span<float> target)
    {
        ref var a = ref MemoryMarshal.GetReference(sums);
        ref var t = ref MemoryMarshal.GetReference(target);
        var n = (nuint)sums.Length;
        nuint i = 0;
        if (Vector.IsHardwareAccelerated && n >= (nuint)Vector<float>.Count)
        {
            var d = new Vector<double>(denominator);
            var magic = new Vector<double>(Magic);
            var bits = new Vector<long>(MagicBits);
            var step = (nuint)Vector<float>.Count;
            var half = (nuint)Vector<long>.Count;
            for (; i + step <= n; i += step)
            {
                var low = Vector.AsVectorDouble(Vector.LoadUnsafe(ref a, i) + bits) - magic;
                var high = Vector.AsVectorDouble(Vector.LoadUnsafe(ref a, i + half) + bits) - magic;
                Vector.Narrow(low / d, high / d).StoreUnsafe(ref t, i);
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref t, i) = (float)((double)Unsafe.Add(ref a, i) / denominator);
    }

    private static void DivideScalar(ReadOnlySpan<long> sums, double denominator, Span<float> target)
    {
        for (var i = 0; i < sums.Length; i++)
            target[i] = (float)(sums[i] / denominator);
    }
}
