using System.Numerics.Tensors;

namespace FlMicroservices.Core.Aggregation;

/// <summary>Per-slice running weighted sums of updates: the O(model size) state of every linear strategy.</summary>
/// <remarks>
/// Each slice keeps its own weight total, so a slice that some clients never delivered is still the mean
/// of the clients that did deliver it. Slices are allocated on first use, so an instance that owns only
/// some partitions holds only its share of the model.
/// </remarks>
public sealed class WeightedSliceSums
{
    private readonly float[]?[] _sums;
    private readonly double[] _weights;

    public WeightedSliceSums(int parameterCount, int sliceElements)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sliceElements);
        ParameterCount = parameterCount;
        SliceElements = sliceElements;
        SliceCount = (int)((parameterCount + (long)sliceElements - 1) / sliceElements);
        _sums = new float[]?[SliceCount];
        _weights = new double[SliceCount];
    }

    public int ParameterCount { get; }
    public int SliceElements { get; }
    public int SliceCount { get; }
    public int FoldedSlices { get; private set; }

    public int SliceLength(int sliceIndex) => Math.Min(SliceElements, ParameterCount - sliceIndex * SliceElements);

    public double WeightOf(int sliceIndex) => _weights[sliceIndex];

    public void Fold(int sliceIndex, ReadOnlySpan<float> values, double weight)
    {
        if ((uint)sliceIndex >= (uint)SliceCount)
            throw new ArgumentOutOfRangeException(nameof(sliceIndex), sliceIndex, $"The model has {SliceCount} slices.");
        var length = SliceLength(sliceIndex);
        if (values.Length != length)
            throw new ArgumentException($"Slice {sliceIndex} must hold {length} values, not {values.Length}.", nameof(values));
        if (!double.IsFinite(weight) || weight <= 0)
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "A weight must be positive and finite.");
        var sum = _sums[sliceIndex] ??= new float[length];
        TensorPrimitives.MultiplyAdd(values, (float)weight, sum, sum);
        _weights[sliceIndex] += weight;
        FoldedSlices++;
    }

    /// <summary>Writes the weighted mean; slices nobody delivered are zero (no movement).</summary>
    public void WriteMean(Span<float> destination)
    {
        if (destination.Length != ParameterCount)
            throw new ArgumentException($"Destination must hold {ParameterCount} values.", nameof(destination));
        for (var i = 0; i < SliceCount; i++)
        {
            var target = destination.Slice(i * SliceElements, SliceLength(i));
            var sum = _sums[i];
            if (sum is null) { target.Clear(); continue; }
            TensorPrimitives.Multiply(sum, (float)(1.0 / _weights[i]), target);
        }
    }
}
