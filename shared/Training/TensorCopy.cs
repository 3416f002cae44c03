using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace FlMicroservices.Training;

/// <summary>Bulk copies between managed memory and CPU tensors.</summary>
/// <remarks>TorchSharp's TensorAccessor copies element by element with index arithmetic; these copy memory blocks.</remarks>
internal static class TensorCopy
{
    /// <summary>A new float32 tensor of <paramref name="shape"/> holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromSpan(ReadOnlySpan<float> values, ReadOnlySpan<long> shape)
    {
        var tensor = empty(shape, ScalarType.Float32);
        values.CopyTo(MemoryMarshal.Cast<byte, float>(tensor.bytes));
        return tensor;
    }

    /// <summary>A new int64 tensor of <paramref name="labels"/>, the index type cross-entropy expects.</summary>
    public static Tensor Labels(ReadOnlySpan<int> labels)
    {
        var tensor = empty(labels.Length, ScalarType.Int64);
        var target = MemoryMarshal.Cast<byte, long>(tensor.bytes);
        for (var i = 0; i < labels.Length; i++) target[i] = labels[i];
        return tensor;
    }

    public static float[] ToArray(Tensor tensor)
    {
        if (tensor.dtype != ScalarType.Float32)
            throw new ArgumentException($"Expected a float32 tensor, got {tensor.dtype}.", nameof(tensor));
        using var contiguous = tensor.contiguous();
        return MemoryMarshal.Cast<byte, float>(contiguous.bytes).ToArray();
    }
}
