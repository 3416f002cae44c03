using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FlMicroservices.Core.Aggregation;

/// <summary>Per-slice running weighted sums of updates: the O(model size) state of every linear strategy.</summary>
/// <remarks>Design notes: docs/aggregation.md, "Notes: WeightedSliceSums".</remarks>
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
    private const int StackMembers = 64; // FoldMany keeps its per-member scratch on the stack up to this group size
    private const int SquareLanes = 16; // SumOfSquares accumulates element i in lane i mod 16
    private const int BlockElements = 16_384; // accumulator elements per block of a grouped fold: 128 KiB, stays in L2 between runs of members

    private static readonly float[] Zeros = new float[BlockElements]; // pads a grouped fold's last quadruple of members

    private readonly long[]?[] _sums;
    private readonly long[] _weights;
    private readonly long[] _bounds;
    private readonly double _scale;
    private readonly AccumulatorPool? _pool;
    private bool _released;

    public WeightedSliceSums(int parameterCount, int sliceElements)
        : this(parameterCount, sliceElements, DefaultFractionBits)
    {
    }

    /// <param name="parameterCount">Model size.</param>
    /// <param name="sliceElements">Elements per slice (the last slice may be shorter).</param>
    /// <param name="fractionBits">k: values are summed in units of 2^-k; the range per slice is 2^(63-k) (see remarks).</param>
    /// <param name="pool">Where accumulators are rented from and <see cref="Release"/> returns them to (null: allocated, left to the GC).</param>
    public WeightedSliceSums(int parameterCount, int sliceElements, int fractionBits, AccumulatorPool? pool = null)
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
        _pool = pool;
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
        var length = CheckSlice(sliceIndex, values, weight);

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

        var sums = _sums[sliceIndex] ??= NewSums(sliceIndex);
        if (peak < FastLimit) AccumulateRounded(values, factor, sums);
        else AccumulateRoundedLarge(values, factor, sums);
        _bounds[sliceIndex] = bound;
        _weights[sliceIndex] = total;
        FoldedSlices++;
    }

    /// <summary>
    /// Takes back a <see cref="Fold"/> (or one member of a grouped fold) of the same <paramref name="values"/> and
    /// <paramref name="weight"/>: the same integer terms are subtracted, so the sums, weight total and range bound are
    /// exactly what they would be had that slice never been folded.
    /// </summary>
    /// <exception cref="ArgumentException">Bad index or length, a value that is not finite, or no such fold to take back
    /// (the slice's weight total is below <paramref name="weight"/>, or taking it back leaves non-zero sums at weight 0).</exception>
    public void Unfold(int sliceIndex, ReadOnlySpan<float> values, double weight)
    {
        var length = CheckSlice(sliceIndex, values, weight);
        var sums = _sums[sliceIndex];
        if (sums is null || _weights[sliceIndex] < (long)weight)
            throw new ArgumentException($"Slice {sliceIndex} holds no fold of weight {weight} to take back.", nameof(weight));
        var largestBits = MaxAbsBits(values);
        if (largestBits >= PositiveInfinityBits)
            throw new ArgumentException($"Slice {sliceIndex} contains NaN or infinite values; no such slice was folded.", nameof(values));
        var factor = weight * _scale;
        var peak = BitConverter.Int32BitsToSingle(largestBits) * factor;
        var terms = new long[length];
        if (peak < FastLimit) AccumulateRounded(values, factor, terms);
        else AccumulateRoundedLarge(values, factor, terms);
        var remaining = _weights[sliceIndex] - (long)weight;
        if (remaining == 0 && !terms.AsSpan().SequenceEqual(sums))
            throw new ArgumentException($"Slice {sliceIndex}: these values are not the ones that were folded; nothing was taken back.", nameof(values));
        TensorPrimitives.Subtract(sums, terms, sums);
        _bounds[sliceIndex] -= (long)Math.Ceiling(peak);
        _weights[sliceIndex] = remaining;
        if (remaining == 0)
        {
            _sums[sliceIndex] = null;
            _bounds[sliceIndex] = 0;
            _pool?.Return(sums);
        }
        FoldedSlices--;
    }

    /// <summary>
    /// Adds <c>weight * values</c> of every slice in <paramref name="slices"/> (with the weight at the same position in
    /// <paramref name="weights"/>) to slice <paramref name="sliceIndex"/>: the same sums, bit for bit, as a
    /// <see cref="Fold"/> of each in turn, in one pass over the accumulator.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length, or a member is invalid (see <see cref="FoldMany{TGroup}(int, TGroup)"/>).</exception>
    /// <exception cref="OverflowException">The group could leave the fixed-point range; nothing was added.</exception>
    public void FoldMany(int sliceIndex, ReadOnlySpan<ReadOnlyMemory<float>> slices, ReadOnlySpan<double> weights) =>
        FoldMany(sliceIndex, new SliceGroup(slices, weights));

    /// <summary>
    /// Adds <c>weight * values</c> of every member of <paramref name="group"/> to slice <paramref name="sliceIndex"/>: the same
    /// sums, bit for bit, as a <see cref="Fold"/> of each member in turn (see the remarks on grouped folds), and
    /// <see cref="FoldedSlices"/> grows by the number of members. An empty group changes nothing.
    /// </summary>
    /// <remarks>
    /// All or nothing: every member is checked as <see cref="Fold"/> checks a slice, and the range of the group as a whole,
    /// and when anything is wrong this throws with the slice exactly as it was; the message names the first member at fault.
    /// An <see cref="OverflowException"/> means the slice's bound would pass the range with the whole group added (folded
    /// one by one, the members would be refused from the first one that takes the bound past it): a caller that needs to
    /// know which members are out of range folds them one by one. Apart from a slice's accumulator on its first fold (as
    /// <see cref="Fold"/>), allocates nothing for groups of up to 64 members. Members are read more than once (see
    /// <see cref="ISliceGroup"/>).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">Bad slice index, or a member whose weight is not a whole number in [1, <see cref="MaxWeight"/>].</exception>
    /// <exception cref="ArgumentException">A member of the wrong length, or with a value that is NaN or infinite.</exception>
    /// <exception cref="OverflowException">The slice's sums could leave the fixed-point range with the group added; nothing was added.</exception>
    public void FoldMany<TGroup>(int sliceIndex, TGroup group) where TGroup : ISliceGroup, allows ref struct =>
        FoldMany(sliceIndex, group, []);

    /// <summary>
    /// <see cref="FoldMany{TGroup}(int, TGroup)"/>, and each member's sum of squares into <paramref name="squares"/> (empty: not
    /// wanted), read in the same pass: <paramref name="squares"/>[m] equals <see cref="SumOfSquares"/> of member m bit for bit.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="squares"/> is neither empty nor one entry per member.</exception>
    public void FoldMany<TGroup>(int sliceIndex, TGroup group, Span<double> squares) where TGroup : ISliceGroup, allows ref struct
    {
        ThrowIfReleased();
        if ((uint)sliceIndex >= (uint)SliceCount)
            throw new ArgumentOutOfRangeException(nameof(sliceIndex), sliceIndex, $"The model has {SliceCount} slices.");
        var count = group.Count;
        if (count < 0) throw new ArgumentException($"A group cannot have {count} members.", nameof(group));
        if (!squares.IsEmpty && squares.Length != count)
            throw new ArgumentException($"One sum of squares per member: {count} members, room for {squares.Length}.", nameof(squares));
        if (count == 0) return;
        var length = SliceLength(sliceIndex);

        // The checks that need no pass over the values: lengths, weights and the weight total.
        var factors = count <= StackMembers ? stackalloc double[StackMembers] : new double[count];
        factors = factors[..count];
        var total = _weights[sliceIndex];
        for (var m = 0; m < count; m++)
        {
            var values = group.Values(m);
            if (values.Length != length)
                throw new ArgumentException(
                    $"Member {m} of the group: slice {sliceIndex} must hold {length} values, not {values.Length}. Nothing in the group was folded.", nameof(group));
            var weight = group.Weight(m);
            if (!IsValidWeight(weight))
                throw new ArgumentOutOfRangeException(nameof(group), weight,
                    $"Member {m} of the group: a weight must be a whole number (an example count) from 1 to {MaxWeight:0}, so that sums stay exact. " +
                    "Nothing in the group was folded.");
            total = checked(total + (long)weight);
            factors[m] = weight * _scale; // exact: a whole number times a power of two
        }

        if (count > 1 && TryFoldInOnePass(sliceIndex, group, factors, total, squares)) return;
        FoldChecked(sliceIndex, group, factors, total);
        for (var m = 0; m < squares.Length; m++) squares[m] = SumOfSquares(group.Values(m)); // the rare path reads its members again
    }

    /// <summary>The sum of the squares of <paramref name="values"/>, computed the same way by every fold path (see remarks).</summary>
    /// <remarks>
    /// Float squares accumulated in 16 lanes (element i in lane i mod 16, in increasing i, a multiply then an add: no fused
    /// multiply-add), then the lanes added in order in double. The result depends on the values alone, not on the vector width,
    /// the grouping or how the values were split into blocks (at multiples of 16), so a grouped fold can produce it in its own pass.
    /// </remarks>
    public static double SumOfSquares(ReadOnlySpan<float> values)
    {
        Span<float> lanes = stackalloc float[SquareLanes];
        lanes.Clear();
        AddSquares(values, lanes);
        return ReduceSquares(lanes);
    }

    // lanes[j] += values[i]^2 for every i = j (mod 16), in increasing i; values start at an element whose index in the slice is a
    // multiple of 16, so calls over consecutive parts of a slice give what one call over the whole slice gives.
    private static void AddSquares(ReadOnlySpan<float> values, Span<float> lanes)
    {
        ref var v = ref MemoryMarshal.GetReference(values);
        ref var l = ref MemoryMarshal.GetReference(lanes);
        var n = (nuint)values.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var sum = Vector512.LoadUnsafe(ref l);
            for (; i + SquareLanes <= n; i += SquareLanes)
            {
                var x = Vector512.LoadUnsafe(ref v, i);
                sum += x * x;
            }
            sum.StoreUnsafe(ref l);
        }
        else
        {
            var low = Vector256.LoadUnsafe(ref l);
            var high = Vector256.LoadUnsafe(ref l, 8);
            for (; i + SquareLanes <= n; i += SquareLanes)
            {
                var x = Vector256.LoadUnsafe(ref v, i);
                var y = Vector256.LoadUnsafe(ref v, i + 8);
                low += x * x;
                high += y * y;
            }
            low.StoreUnsafe(ref l);
            high.StoreUnsafe(ref l, 8);
        }
        for (; i < n; i++)
        {
            var x = Unsafe.Add(ref v, i);
            Unsafe.Add(ref l, i % SquareLanes) += x * x;
        }
    }

    private static double ReduceSquares(ReadOnlySpan<float> lanes)
    {
        var sum = 0.0;
        for (var j = 0; j < SquareLanes; j++) sum += lanes[j];
        return sum;
    }

    // The usual case, in one pass over the values: add every member's terms as if each were on the fast path while finding
    // each member's max|value|, then check. When a check fails (a NaN, a term of 2^51 or more, the range), take exactly the
    // same terms off again (integer addition is invertible: even terms that were garbage cancel bit for bit, as they are
    // computed by the same operations from the same values) and return false for FoldChecked to do the work or throw.
    private bool TryFoldInOnePass<TGroup>(int sliceIndex, TGroup group, ReadOnlySpan<double> factors, long total, Span<double> squares)
        where TGroup : ISliceGroup, allows ref struct
    {
        var count = factors.Length;
        Span<float> lanes = squares.IsEmpty ? default : count <= StackMembers ? stackalloc float[StackMembers * SquareLanes] : new float[count * SquareLanes];
        lanes = lanes[..(squares.IsEmpty ? 0 : count * SquareLanes)];
        lanes.Clear();
        var largest = count <= StackMembers ? stackalloc int[StackMembers] : new int[count];
        largest = largest[..count];
        largest.Clear();
        var members = count <= StackMembers ? stackalloc int[StackMembers] : new int[count];
        members = members[..count];
        for (var m = 0; m < count; m++) members[m] = m;
        var fresh = _sums[sliceIndex] is null;
        var sums = _sums[sliceIndex] ?? NewSums(sliceIndex); // stored only once the fold stands
        AccumulateGroup(group, factors, members, sums, largest, subtract: false, lanes);

        var bound = _bounds[sliceIndex];
        for (var m = 0; m < count; m++)
        {
            var peak = largest[m] < PositiveInfinityBits ? BitConverter.Int32BitsToSingle(largest[m]) * factors[m] : double.NaN;
            if (!(peak < FastLimit) || (long)Math.Ceiling(peak) > long.MaxValue - bound)
            {
                if (!fresh) AccumulateGroup(group, factors, members, sums, largest, subtract: true, []);
                else _pool?.Return(sums);
                return false;
            }
            bound += (long)Math.Ceiling(peak);
        }
        for (var m = 0; m < squares.Length; m++) squares[m] = ReduceSquares(lanes.Slice(m * SquareLanes, SquareLanes));
        _sums[sliceIndex] = sums;
        _bounds[sliceIndex] = bound;
        _weights[sliceIndex] = total;
        FoldedSlices += count;
        return true;
    }

    // Fold's two passes for a group: check every member (max|value|, finiteness, the range) before anything changes, then
    // add the large terms on the exact scalar path and the others in one blocked pass.
    private void FoldChecked<TGroup>(int sliceIndex, TGroup group, ReadOnlySpan<double> factors, long total)
        where TGroup : ISliceGroup, allows ref struct
    {
        var count = factors.Length;
        var members = count <= StackMembers ? stackalloc int[StackMembers] : new int[count];
        var fast = 0;
        var bound = _bounds[sliceIndex];
        for (var m = 0; m < count; m++)
        {
            var largestBits = MaxAbsBits(group.Values(m));
            if (largestBits >= PositiveInfinityBits)
                throw new ArgumentException(
                    $"Member {m} of the group: slice {sliceIndex} contains NaN or infinite values. Nothing in the group was folded.", nameof(group));
            var largest = BitConverter.Int32BitsToSingle(largestBits);
            var peak = largest * factors[m];
            if (!(peak < TwoTo63) || (long)Math.Ceiling(peak) > long.MaxValue - bound)
                throw new OverflowException(
                    $"Slice {sliceIndex}: with member {m} of a group of {count} (weight {factors[m] / _scale} times values up to {largest:R}) the sums " +
                    $"could exceed the exact accumulator range (per slice, the sum of weight * max|value| must stay below 2^{63 - FractionBits} = " +
                    $"{Math.ScaleB(1.0, 63 - FractionBits):R}). Nothing in the group was folded; fold its members one by one to find those out of range.");
            bound += (long)Math.Ceiling(peak);
            if (peak < FastLimit) members[fast++] = m;
        }

        // Every term is the same integer as in Fold, and integer addition is associative, so the order of the passes
        // changes nothing.
        var sums = _sums[sliceIndex] ??= NewSums(sliceIndex);
        for (int m = 0, next = 0; m < count && fast < count; m++)
        {
            if (next < fast && members[next] == m) next++; // members holds the fast ones in increasing order
            else AccumulateRoundedLarge(group.Values(m), factors[m], sums);
        }
        if (fast == 1) AccumulateRounded(group.Values(members[0]), factors[members[0]], sums);
        else if (fast > 1)
        {
            var ignored = count <= StackMembers ? stackalloc int[StackMembers] : new int[count];
            AccumulateGroup(group, factors, members[..fast], sums, ignored, subtract: false, []);
        }
        _bounds[sliceIndex] = bound;
        _weights[sliceIndex] = total;
        FoldedSlices += count;
    }

    // The checks Fold and Unfold share; returns the slice's length.
    private int CheckSlice(int sliceIndex, ReadOnlySpan<float> values, double weight)
    {
        ThrowIfReleased();
        if ((uint)sliceIndex >= (uint)SliceCount)
            throw new ArgumentOutOfRangeException(nameof(sliceIndex), sliceIndex, $"The model has {SliceCount} slices.");
        var length = SliceLength(sliceIndex);
        if (values.Length != length)
            throw new ArgumentException($"Slice {sliceIndex} must hold {length} values, not {values.Length}.", nameof(values));
        if (!IsValidWeight(weight))
            throw new ArgumentOutOfRangeException(nameof(weight), weight,
                $"A weight must be a whole number (an example count) from 1 to {MaxWeight:0}, so that sums stay exact.");
        return length;
    }

    /// <summary>Writes the weighted mean; slices nobody delivered are zero (no movement).</summary>
    /// <remarks>Each element is <c>(float)(sum / (totalWeight * 2^k))</c> with the division in double: a function of the exact sums only.</remarks>
    public void WriteMean(Span<float> destination)
    {
        ThrowIfReleased();
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
        ThrowIfReleased();
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
        ThrowIfReleased();
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
        ReturnSums();
        sums.CopyTo(_sums, 0);
        FoldedSlices = folded;
    }

    /// <summary>Returns the accumulators to the pool given at construction; the instance then refuses every further use.</summary>
    /// <remarks>Called once the sums are no longer needed (a round's mean is written); calling it again changes nothing.</remarks>
    public void Release()
    {
        if (_released) return;
        _released = true;
        ReturnSums();
    }

    private void ReturnSums()
    {
        for (var i = 0; i < SliceCount; i++)
        {
            if (_sums[i] is { } sums && _pool is { } pool) pool.Return(sums);
            _sums[i] = null;
        }
    }

    private long[] NewSums(int sliceIndex) => _pool?.Rent(SliceLength(sliceIndex)) ?? new long[SliceLength(sliceIndex)];

    private void ThrowIfReleased()
    {
        if (_released) throw new InvalidOperationException("These sums were released to their pool; they hold nothing any more.");
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

    // Grouped accumulation, cache-blocked: for each block of the accumulator (small enough to stay in L2 while it is worked
    // on, long enough for the hardware prefetchers to stream every member; 16,384 measured best, 2,048 about 10% slower),
    // the members are added eight at a time where 512-bit vectors are fast (four at a time elsewhere; a short last run is
    // padded with zeros, which add nothing), so the accumulator comes from memory and goes back once per group rather
    // than once per member. largest[m] receives the bit pattern of member m's max|value| (as MaxAbsBits computes it).
    // subtract takes the same terms off instead: an exact undo of the same call.
    private static void AccumulateGroup<TGroup>(TGroup group, ReadOnlySpan<double> factors, ReadOnlySpan<int> members, Span<long> sums,
        Span<int> largest, bool subtract, Span<float> lanes)
        where TGroup : ISliceGroup, allows ref struct
    {
        var negate = subtract ? -1L : 0L;
        Span<double> f = stackalloc double[8];
        Span<int> bits = stackalloc int[8];
        Span<float> run8 = stackalloc float[8 * SquareLanes]; // the squares lanes of one run of eight (padding members included)
        for (var start = 0; start < sums.Length; start += BlockElements)
        {
            var length = Math.Min(BlockElements, sums.Length - start);
            var zeros = Zeros.AsSpan(0, length);
            var block = sums.Slice(start, length);
            for (var j = 0; j < members.Length;)
            {
                var run = Wide && members.Length - j > 4 ? 8 : 4;
                for (var q = 0; q < run; q++)
                {
                    f[q] = j + q < members.Length ? factors[members[j + q]] : 0;
                    bits[q] = 0;
                }
                if (run == 8 && !lanes.IsEmpty)
                {
                    // Squares in the same pass: each member's lanes in and out of the kernel, block after block.
                    run8.Clear();
                    for (var q = 0; q < run && j + q < members.Length; q++)
                        lanes.Slice(members[j + q] * SquareLanes, SquareLanes).CopyTo(run8.Slice(q * SquareLanes));
                    Accumulate8<Squaring>(Part(group, members, j, start, zeros), Part(group, members, j + 1, start, zeros),
                        Part(group, members, j + 2, start, zeros), Part(group, members, j + 3, start, zeros),
                        Part(group, members, j + 4, start, zeros), Part(group, members, j + 5, start, zeros),
                        Part(group, members, j + 6, start, zeros), Part(group, members, j + 7, start, zeros),
                        f, block, negate, bits, run8);
                    for (var q = 0; q < run && j + q < members.Length; q++)
                        run8.Slice(q * SquareLanes, SquareLanes).CopyTo(lanes.Slice(members[j + q] * SquareLanes));
                }
                else if (run == 8)
                    Accumulate8<NotSquaring>(Part(group, members, j, start, zeros), Part(group, members, j + 1, start, zeros),
                        Part(group, members, j + 2, start, zeros), Part(group, members, j + 3, start, zeros),
                        Part(group, members, j + 4, start, zeros), Part(group, members, j + 5, start, zeros),
                        Part(group, members, j + 6, start, zeros), Part(group, members, j + 7, start, zeros),
                        f, block, negate, bits, []);
                else
                    Accumulate4(Part(group, members, j, start, zeros), Part(group, members, j + 1, start, zeros),
                        Part(group, members, j + 2, start, zeros), Part(group, members, j + 3, start, zeros),
                        f, block, negate, bits);
                for (var q = 0; q < run && j + q < members.Length; q++)
                {
                    largest[members[j + q]] = Math.Max(largest[members[j + q]], bits[q]);
                    // After the four-member kernel the block's part of each member is still in cache: no second read from memory.
                    if (run == 4 && !lanes.IsEmpty)
                        AddSquares(group.Values(members[j + q]).Slice(start, length), lanes.Slice(members[j + q] * SquareLanes, SquareLanes));
                }
                j += run;
            }
        }
    }

    // Member `index` of the run's part of the block (zeros past the last member).
    private static ReadOnlySpan<float> Part<TGroup>(TGroup group, ReadOnlySpan<int> members, int index, int start, ReadOnlySpan<float> zeros)
        where TGroup : ISliceGroup, allows ref struct =>
        index < members.Length ? group.Values(members[index]).Slice(start, zeros.Length) : zeros;

    // True where the eight-member kernel runs: 512-bit vectors, which give it the 32 registers it needs.
    private static bool Wide => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    // sums[i] += round(v0[i] * f[0]) + ... + round(v7[i] * f[7]) (or -= when negate is -1), all spans of one length; bits[q]
    // becomes the larger of itself and the bit pattern of max|vq|. As in AccumulateRounded, each term is the bit pattern of
    // v * f + 1.5 * 2^52 minus that of 1.5 * 2^52 (the right integer when |v * f| < 2^51); the eight patterns are added first
    // and the eight offsets taken off once (integer arithmetic modulo 2^64: intermediate wrap-around cancels exactly). v * f is
    // exact (see remarks), so a fused multiply-add rounds the same sum as a multiply and then an add, and either may be used.
    // Per 16 elements: two 8-long accumulator vectors are loaded and stored once for the eight members. Only called when Wide.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: optimised from the first call, not after tiering up
    // With TSquares = Squaring, squares holds each member's 16 lanes of SumOfSquares (member q at 16q) and they are added to
    // in the same pass (AddSquares' operations, element for element); with NotSquaring the JIT leaves that code out.
    private static void Accumulate8<TSquares>(ReadOnlySpan<float> v0, ReadOnlySpan<float> v1, ReadOnlySpan<float> v2, ReadOnlySpan<float> v3,
        ReadOnlySpan<float> v4, ReadOnlySpan<float> v5, ReadOnlySpan<float> v6, ReadOnlySpan<float> v7,
        ReadOnlySpan<double> f, Span<long> sums, long negate, Span<int> bits, Span<float> squares)
        where TSquares : struct, ISwitch
    {
        ref var a = ref MemoryMarshal.GetReference(sums);
        ref var r0 = ref MemoryMarshal.GetReference(v0);
        ref var r1 = ref MemoryMarshal.GetReference(v1);
        ref var r2 = ref MemoryMarshal.GetReference(v2);
        ref var r3 = ref MemoryMarshal.GetReference(v3);
        ref var r4 = ref MemoryMarshal.GetReference(v4);
        ref var r5 = ref MemoryMarshal.GetReference(v5);
        ref var r6 = ref MemoryMarshal.GetReference(v6);
        ref var r7 = ref MemoryMarshal.GetReference(v7);
        var n = (nuint)sums.Length;
        nuint i = 0;
        if (Wide)
        {
            Vector512<double> g0 = Vector512.Create(f[0]), g1 = Vector512.Create(f[1]), g2 = Vector512.Create(f[2]), g3 = Vector512.Create(f[3]);
            Vector512<double> g4 = Vector512.Create(f[4]), g5 = Vector512.Create(f[5]), g6 = Vector512.Create(f[6]), g7 = Vector512.Create(f[7]);
            var magic = Vector512.Create(Magic);
            var offset = Vector512.Create(unchecked(8 * MagicBits));
            var flip = Vector512.Create(negate);
            var mask = Vector512.Create(0x7FFF_FFFF);
            Vector512<int> max0 = default, max1 = default, max2 = default, max3 = default, max4 = default, max5 = default, max6 = default, max7 = default;
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            ref var q = ref MemoryMarshal.GetReference(squares);
            if (TSquares.On)
            {
                s0 = Vector512.LoadUnsafe(ref q, 0 * SquareLanes); s1 = Vector512.LoadUnsafe(ref q, 1 * SquareLanes);
                s2 = Vector512.LoadUnsafe(ref q, 2 * SquareLanes); s3 = Vector512.LoadUnsafe(ref q, 3 * SquareLanes);
                s4 = Vector512.LoadUnsafe(ref q, 4 * SquareLanes); s5 = Vector512.LoadUnsafe(ref q, 5 * SquareLanes);
                s6 = Vector512.LoadUnsafe(ref q, 6 * SquareLanes); s7 = Vector512.LoadUnsafe(ref q, 7 * SquareLanes);
            }
            for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
            {
                // Sixteen floats per member: the max (and the squares) on all of them at once, the conversion eight at a time. One
                // member after the other, so that few registers hold loaded values (the terms are integers: their order is free).
                var j = i + (nuint)Vector512<long>.Count;
                var x = Vector512.LoadUnsafe(ref r0, i);
                max0 = Vector512.Max(max0, x.AsInt32() & mask);
                if (TSquares.On) s0 += x * x;
                var low = Raw(Avx512F.ConvertToVector512Double(x.GetLower()), g0, magic);
                var high = Raw(Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r0, j)), g0, magic);
                x = Vector512.LoadUnsafe(ref r1, i);
                max1 = Vector512.Max(max1, x.AsInt32() & mask);
                if (TSquares.On) s1 += x * x;
                low += Raw(Avx512F.ConvertToVector512Double(x.GetLower()), g1, magic);
                high += Raw(Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r1, j)), g1, magic);
                x = Vector512.LoadUnsafe(ref r2, i);
                max2 = Vector512.Max(max2, x.AsInt32() & mask);
                if (TSquares.On) s2 += x * x;
                low += Raw(Avx512F.ConvertToVector512Double(x.GetLower()), g2, magic);
                high += Raw(Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r2, j)), g2, magic);
                x = Vector512.LoadUnsafe(ref r3, i);
                max3 = Vector512.Max(max3, x.AsInt32() & mask);
                if (TSquares.On) s3 += x * x;
                low += Raw(Avx512F.ConvertToVector512Double(x.GetLower()), g3, magic);
                high += Raw(Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r3, j)), g3, magic);
                x = Vector512.LoadUnsafe(ref r4, i);
                max4 = Vector512.Max(max4, x.AsInt32() & mask);
                if (TSquares.On) s4 += x * x;
                low += Raw(Avx512F.ConvertToVector512Double(x.GetLower()), g4, magic);
                high += Raw(Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r4, j)), g4, magic);
                x = Vector512.LoadUnsafe(ref r5, i);
                max5 = Vector512.Max(max5, x.AsInt32() & mask);
                if (TSquares.On) s5 += x * x;
                low += Raw(Avx512F.ConvertToVector512Double(x.GetLower()), g5, magic);
                high += Raw(Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r5, j)), g5, magic);
                x = Vector512.LoadUnsafe(ref r6, i);
                max6 = Vector512.Max(max6, x.AsInt32() & mask);
                if (TSquares.On) s6 += x * x;
                low += Raw(Avx512F.ConvertToVector512Double(x.GetLower()), g6, magic);
                high += Raw(Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r6, j)), g6, magic);
                x = Vector512.LoadUnsafe(ref r7, i);
                max7 = Vector512.Max(max7, x.AsInt32() & mask);
                if (TSquares.On) s7 += x * x;
                low += Raw(Avx512F.ConvertToVector512Double(x.GetLower()), g7, magic) - offset;
                high += Raw(Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r7, j)), g7, magic) - offset;
                (Vector512.LoadUnsafe(ref a, i) + ((low ^ flip) - flip)).StoreUnsafe(ref a, i);
                (Vector512.LoadUnsafe(ref a, j) + ((high ^ flip) - flip)).StoreUnsafe(ref a, j);
            }
            bits[0] = Math.Max(bits[0], HorizontalMax(max0));
            bits[1] = Math.Max(bits[1], HorizontalMax(max1));
            bits[2] = Math.Max(bits[2], HorizontalMax(max2));
            bits[3] = Math.Max(bits[3], HorizontalMax(max3));
            bits[4] = Math.Max(bits[4], HorizontalMax(max4));
            bits[5] = Math.Max(bits[5], HorizontalMax(max5));
            bits[6] = Math.Max(bits[6], HorizontalMax(max6));
            bits[7] = Math.Max(bits[7], HorizontalMax(max7));
            if (TSquares.On)
            {
                s0.StoreUnsafe(ref q, 0 * SquareLanes); s1.StoreUnsafe(ref q, 1 * SquareLanes);
                s2.StoreUnsafe(ref q, 2 * SquareLanes); s3.StoreUnsafe(ref q, 3 * SquareLanes);
                s4.StoreUnsafe(ref q, 4 * SquareLanes); s5.StoreUnsafe(ref q, 5 * SquareLanes);
                s6.StoreUnsafe(ref q, 6 * SquareLanes); s7.StoreUnsafe(ref q, 7 * SquareLanes);
            }
        }
        if (i < n)
        {
            var tail = (int)i;
            if (TSquares.On)
            {
                // The last few elements: i is a multiple of 16 here, as AddSquares needs.
                AddSquares(v0[tail..], squares[..SquareLanes]); AddSquares(v1[tail..], squares[(1 * SquareLanes)..]);
                AddSquares(v2[tail..], squares[(2 * SquareLanes)..]); AddSquares(v3[tail..], squares[(3 * SquareLanes)..]);
                AddSquares(v4[tail..], squares[(4 * SquareLanes)..]); AddSquares(v5[tail..], squares[(5 * SquareLanes)..]);
                AddSquares(v6[tail..], squares[(6 * SquareLanes)..]); AddSquares(v7[tail..], squares[(7 * SquareLanes)..]);
            }
            Accumulate4(v0[tail..], v1[tail..], v2[tail..], v3[tail..], f[..4], sums[tail..], negate, bits[..4]);
            Accumulate4(v4[tail..], v5[tail..], v6[tail..], v7[tail..], f[4..], sums[tail..], negate, bits[4..]);
        }
    }

    // Whether Accumulate8 adds up squares too: a type argument, so that the JIT compiles the code it needs and nothing else.
    private interface ISwitch
    {
        static abstract bool On { get; }
    }

    private readonly struct Squaring : ISwitch
    {
        public static bool On => true;
    }

    private readonly struct NotSquaring : ISwitch
    {
        public static bool On => false;
    }

    // Accumulate8 for four members: f and bits hold (at least) four entries.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: optimised from the first call, not after tiering up
    private static void Accumulate4(ReadOnlySpan<float> v0, ReadOnlySpan<float> v1, ReadOnlySpan<float> v2, ReadOnlySpan<float> v3,
        ReadOnlySpan<double> f, Span<long> sums, long negate, Span<int> bits)
    {
        ref var a = ref MemoryMarshal.GetReference(sums);
        ref var r0 = ref MemoryMarshal.GetReference(v0);
        ref var r1 = ref MemoryMarshal.GetReference(v1);
        ref var r2 = ref MemoryMarshal.GetReference(v2);
        ref var r3 = ref MemoryMarshal.GetReference(v3);
        var n = (nuint)sums.Length;
        nuint i = 0;
        double f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3];
        int b0 = bits[0], b1 = bits[1], b2 = bits[2], b3 = bits[3];
        if (Wide && n >= (nuint)Vector256<float>.Count)
        {
            var g0 = Vector512.Create(f0);
            var g1 = Vector512.Create(f1);
            var g2 = Vector512.Create(f2);
            var g3 = Vector512.Create(f3);
            var magic = Vector512.Create(Magic);
            var offset = Vector512.Create(unchecked(4 * MagicBits));
            var flip = Vector512.Create(negate);
            var mask = Vector256.Create(0x7FFF_FFFF);
            Vector256<int> max0 = default, max1 = default, max2 = default, max3 = default;
            for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
            {
                var x0 = Vector256.LoadUnsafe(ref r0, i);
                var x1 = Vector256.LoadUnsafe(ref r1, i);
                var x2 = Vector256.LoadUnsafe(ref r2, i);
                var x3 = Vector256.LoadUnsafe(ref r3, i);
                max0 = Vector256.Max(max0, x0.AsInt32() & mask);
                max1 = Vector256.Max(max1, x1.AsInt32() & mask);
                max2 = Vector256.Max(max2, x2.AsInt32() & mask);
                max3 = Vector256.Max(max3, x3.AsInt32() & mask);
                var terms = Raw(Avx512F.ConvertToVector512Double(x0), g0, magic) + Raw(Avx512F.ConvertToVector512Double(x1), g1, magic)
                    + (Raw(Avx512F.ConvertToVector512Double(x2), g2, magic) + Raw(Avx512F.ConvertToVector512Double(x3), g3, magic)) - offset;
                (Vector512.LoadUnsafe(ref a, i) + ((terms ^ flip) - flip)).StoreUnsafe(ref a, i);
            }
            (b0, b1, b2, b3) = (Math.Max(b0, HorizontalMax(max0)), Math.Max(b1, HorizontalMax(max1)),
                Math.Max(b2, HorizontalMax(max2)), Math.Max(b3, HorizontalMax(max3)));
        }
        else if (Vector.IsHardwareAccelerated && n >= (nuint)Vector<float>.Count)
        {
            var g0 = new Vector<double>(f0);
            var g1 = new Vector<double>(f1);
            var g2 = new Vector<double>(f2);
            var g3 = new Vector<double>(f3);
            var magic = new Vector<double>(Magic);
            var offset = new Vector<long>(unchecked(4 * MagicBits));
            var flip = new Vector<long>(negate);
            var mask = new Vector<int>(0x7FFF_FFFF);
            Vector<int> max0 = default, max1 = default, max2 = default, max3 = default;
            var step = (nuint)Vector<float>.Count;
            var half = (nuint)Vector<long>.Count;
            for (; i + step <= n; i += step)
            {
                var x0 = Vector.LoadUnsafe(ref r0, i);
                var x1 = Vector.LoadUnsafe(ref r1, i);
                var x2 = Vector.LoadUnsafe(ref r2, i);
                var x3 = Vector.LoadUnsafe(ref r3, i);
                max0 = Vector.Max(max0, Vector.AsVectorInt32(x0) & mask);
                max1 = Vector.Max(max1, Vector.AsVectorInt32(x1) & mask);
                max2 = Vector.Max(max2, Vector.AsVectorInt32(x2) & mask);
                max3 = Vector.Max(max3, Vector.AsVectorInt32(x3) & mask);
                Vector.Widen(x0, out var l0, out var h0);
                Vector.Widen(x1, out var l1, out var h1);
                Vector.Widen(x2, out var l2, out var h2);
                Vector.Widen(x3, out var l3, out var h3);
                var low = Raw(l0, g0, magic) + Raw(l1, g1, magic) + (Raw(l2, g2, magic) + Raw(l3, g3, magic)) - offset;
                var high = Raw(h0, g0, magic) + Raw(h1, g1, magic) + (Raw(h2, g2, magic) + Raw(h3, g3, magic)) - offset;
                (Vector.LoadUnsafe(ref a, i) + ((low ^ flip) - flip)).StoreUnsafe(ref a, i);
                (Vector.LoadUnsafe(ref a, i + half) + ((high ^ flip) - flip)).StoreUnsafe(ref a, i + half);
            }
            for (var j = 0; j < Vector<int>.Count; j++)
                (b0, b1, b2, b3) = (Math.Max(b0, max0[j]), Math.Max(b1, max1[j]), Math.Max(b2, max2[j]), Math.Max(b3, max3[j]));
        }
        for (; i < n; i++)
        {
            float x0 = Unsafe.Add(ref r0, i), x1 = Unsafe.Add(ref r1, i), x2 = Unsafe.Add(ref r2, i), x3 = Unsafe.Add(ref r3, i);
            b0 = Math.Max(b0, BitConverter.SingleToInt32Bits(x0) & 0x7FFF_FFFF);
            b1 = Math.Max(b1, BitConverter.SingleToInt32Bits(x1) & 0x7FFF_FFFF);
            b2 = Math.Max(b2, BitConverter.SingleToInt32Bits(x2) & 0x7FFF_FFFF);
            b3 = Math.Max(b3, BitConverter.SingleToInt32Bits(x3) & 0x7FFF_FFFF);
            var terms = Term(x0, f0) + Term(x1, f1) + Term(x2, f2) + Term(x3, f3);
            Unsafe.Add(ref a, i) += (terms ^ negate) - negate;
        }
        (bits[0], bits[1], bits[2], bits[3]) = (b0, b1, b2, b3);
    }

    private static int HorizontalMax(Vector256<int> lanes) => HorizontalMax(Vector128.Max(lanes.GetLower(), lanes.GetUpper()), 0);

    private static int HorizontalMax(Vector512<int> lanes) => HorizontalMax(Vector256.Max(lanes.GetLower(), lanes.GetUpper()));

    // The bit pattern of v * f + 1.5 * 2^52 (fused or not: the product is exact).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<long> Raw(Vector512<double> v, Vector512<double> f, Vector512<double> magic) =>
        Vector512.MultiplyAddEstimate(v, f, magic).AsInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<long> Raw(Vector<double> v, Vector<double> f, Vector<double> magic) =>
        Vector.AsVectorInt64(Vector.MultiplyAddEstimate(v, f, magic));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Term(float value, double factor) => BitConverter.DoubleToInt64Bits(value * factor + Magic) - MagicBits;

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
