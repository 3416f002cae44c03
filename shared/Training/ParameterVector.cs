using TorchSharp;
using static TorchSharp.torch;

namespace FlMicroservices.Training;

/// <summary>A module's parameters as one flat vector, in the order <c>parameters()</c> lists them.</summary>
public static class ParameterVector
{
    public static int Count(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return checked((int)module.parameters().Sum(p => p.numel()));
    }

    public static float[] Get(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = NewDisposeScope();
        return TensorCopy.ToArray(nn.utils.parameters_to_vector(module.parameters()));
    }

    /// <summary>Overwrites every parameter of <paramref name="module"/> with <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold exactly one value per parameter.</exception>
    public static void Set(nn.Module module, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(module);
        var count = Count(module);
        if (values.Length != count)
            throw new ArgumentException($"The model has {count} parameters but {values.Length} values were given.", nameof(values));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // vector_to_parameters makes the parameters views of this tensor's storage, so it must be a fresh
        // tensor owned by torch, never one that shares memory with a managed array.
        var vector = TensorCopy.FromSpan(values, [count]);
        nn.utils.vector_to_parameters(vector, module.parameters());
    }
}
