using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>How a scaled value is rounded to the integer grid.</summary>
public enum QuantizationRounding
{
    /// <summary>To the nearest integer (ties to even): error at most half a step per value, biased for a fixed input.</summary>
    Nearest,

    /// <summary>Down or up with probability equal to the distance: unbiased, error below one step per value.</summary>
    Stochastic,
}

/// <summary>
/// Maps float updates to the group Z_2^32 in which secure aggregation adds masked vectors, and the sum back to reals.
/// </summary>
/// <remarks>Design notes: docs/secure-aggregation.md, "Library notes: FixedPointQuantizer".</remarks>
public sealed class FixedPointQuantizer
{
    private const int Batch = 4096;

    /// <param name="clipBound">c &gt; 0: values are clipped to [−c, c].</param>
    /// <param name="maxSummands">n ≥ 1: the most clients whose values are ever summed.</param>
    public FixedPointQuantizer(double clipBound, int maxSummands)
    {
        if (!(clipBound > 0) || double.IsPositiveInfinity(clipBound))
            throw new ArgumentOutOfRangeException(nameof(clipBound), clipBound, "The clip bound must be finite and greater than 0.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSummands);
        ClipBound = clipBound;
        MaxSummands = maxSummands;
        MaxMagnitude = int.MaxValue / maxSummands;
        Scale = MaxMagnitude / clipBound;
        Step = clipBound / MaxMagnitude;
    }

    public double ClipBound { get; }
    public int MaxSummands { get; }

    /// <summary>R = ⌊(2^31 − 1)/n⌋: the largest |q| of one quantised value.</summary>
    public int MaxMagnitude { get; }

    /// <summary>s = R / c: grid points per unit.</summary>
    public double Scale { get; }

    /// <summary>Δ = c / R: the quantisation step.</summary>
    public double Step { get; }

    /// <summary>The largest |dequantised sum − exact sum of clipped inputs| over <paramref name="summands"/> clients.</summary>
    public double SumErrorBound(int summands, QuantizationRounding rounding = QuantizationRounding.Nearest) =>
        summands * Step * (rounding == QuantizationRounding.Nearest ? 0.5 : 1.0);

    /// <summary>Rounds to the nearest grid point (ties to even).</summary>
    /// <exception cref="ArgumentException">Lengths differ, or a value is NaN.</exception>
    public void Quantize(ReadOnlySpan<float> values, Span<uint> destination)
    {
        CheckLengths(values.Length, destination.Length);
        var scale = Scale;
        double limit = MaxMagnitude;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // 8 floats → two vectors of 4 doubles: scale, clamp, round to even, convert, narrow to 8 ints.
            var scaleVector = Vector256.Create(scale);
            var upper = Vector256.Create(limit);
            var lower = -upper;
            ref var source = ref MemoryMarshal.GetReference(values);
            ref var target = ref MemoryMarshal.GetReference(destination);
            for (; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref source, (nuint)i);
                if (!Vector256.EqualsAll(v, v)) break; // NaN: the scalar loop throws
                var (low, high) = Vector256.Widen(v);
                low = Vector256.Round(Vector256.Min(Vector256.Max(low * scaleVector, lower), upper));
                high = Vector256.Round(Vector256.Min(Vector256.Max(high * scaleVector, lower), upper));
                Vector256.Narrow(Vector256.ConvertToInt64(low), Vector256.ConvertToInt64(high)).AsUInt32().StoreUnsafe(ref target, (nuint)i);
            }
        }
        for (; i < values.Length; i++)
        {
            var scaled = Scaled(values[i], scale, limit);
            destination[i] = (uint)(int)Math.Round(scaled, MidpointRounding.ToEven);
        }
    }

    /// <summary>Rounds down or up at random, with P(up) = the fractional part; uniforms come from <paramref name="random"/>.</summary>
    public void QuantizeStochastic(ReadOnlySpan<float> values, Span<uint> destination, RandomNumberGenerator random)
    {
        ArgumentNullException.ThrowIfNull(random);
        CheckLengths(values.Length, destination.Length);
        var scale = Scale;
        double limit = MaxMagnitude;
        var bytes = ArrayPool<byte>.Shared.Rent(Batch * sizeof(uint));
        try
        {
            for (var offset = 0; offset < values.Length; offset += Batch)
            {
                var count = Math.Min(Batch, values.Length - offset);
                random.GetBytes(bytes, 0, count * sizeof(uint));
                for (var i = 0; i < count; i++)
                {
                    var uniform = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * sizeof(uint))) * (1.0 / 4294967296.0);
                    var rounded = Math.Min(Math.Floor(Scaled(values[offset + i], scale, limit) + uniform), limit);
                    destination[offset + i] = (uint)(int)rounded;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Reads each element of a sum as an int and divides by the scale.</summary>
    public void Dequantize(ReadOnlySpan<uint> sum, Span<double> destination)
    {
        CheckLengths(sum.Length, destination.Length);
        var scale = Scale;
        for (var i = 0; i < sum.Length; i++) destination[i] = (int)sum[i] / scale;
    }

    /// <summary>As <see cref="Dequantize(ReadOnlySpan{uint}, Span{double})"/>, rounded to float.</summary>
    public void Dequantize(ReadOnlySpan<uint> sum, Span<float> destination)
    {
        CheckLengths(sum.Length, destination.Length);
        var scale = Scale;
        for (var i = 0; i < sum.Length; i++) destination[i] = (float)((int)sum[i] / scale);
    }

    private static double Scaled(float value, double scale, double limit)
    {
        if (float.IsNaN(value)) throw new ArgumentException("An update contains NaN.", nameof(value));
        return Math.Clamp(value * scale, -limit, limit);
    }

    private static void CheckLengths(int source, int destination)
    {
        if (source != destination)
            throw new ArgumentException($"The destination has {destination} elements, not {source}.", nameof(destination));
    }
}
