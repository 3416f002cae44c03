namespace FlMicroservices.Core.Models;

/// <summary>The platform's models as sizes: the sample shapes each takes and its parameter count, without building it.</summary>
/// <remarks>Mirrors the architectures of Training's ModelFactory (tests check both agree), so that services without TorchSharp can refuse a task its nodes could not train.</remarks>
public static class ModelShapes
{
    public static IReadOnlyList<string> Names { get; } = ["logreg", "mlp", "cnn"];

    /// <summary>The number of parameters of model <paramref name="name"/> for the given samples and classes.</summary>
    /// <exception cref="ArgumentException">An unknown name, or a sample shape or class count the model cannot take (the message says why).</exception>
    public static long ParameterCount(string name, int[] sampleShape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(name);
        CheckShape(sampleShape);
        if (classCount < 2) throw new ArgumentException($"The class count must be at least 2; got {classCount}.", nameof(classCount));
        var inputs = Inputs(sampleShape);
        return name.Trim().ToLowerInvariant() switch
        {
            "logreg" => Linear(inputs, classCount),
            "mlp" => Linear(inputs, 200) + Linear(200, 200) + Linear(200, classCount),
            "cnn" => CnnParameters(sampleShape, classCount),
            _ => throw new ArgumentException($"Unknown model '{name}'; valid names are {string.Join(", ", Names)}.", nameof(name)),
        };
    }

    /// <summary>The image the cnn model reads: [channels, height, width], or a flat [784] read as 1x28x28.</summary>
    /// <exception cref="ArgumentException">Any other shape, or an image smaller than 4x4 (it pools twice by 2).</exception>
    public static (int Channels, int Height, int Width) CnnImage(int[] sampleShape)
    {
        CheckShape(sampleShape);
        var (channels, height, width) = sampleShape switch
        {
            [784] => (1, 28, 28),
            [var c, var h, var w] => (c, h, w),
            _ => throw new ArgumentException(
                $"The cnn model needs a sample shape [channels, height, width] (or a flat [784], read as 1x28x28); got [{string.Join(", ", sampleShape)}].",
                nameof(sampleShape)),
        };
        if (height < 4 || width < 4)
            throw new ArgumentException($"The cnn model pools twice by 2, so it needs images of at least 4x4; got {height}x{width}.", nameof(sampleShape));
        return (channels, height, width);
    }

    /// <summary>The features the flattened first layer of the cnn model takes (64 maps after two 2x2 pools).</summary>
    public static long CnnFlattened(int height, int width) => 64L * (height / 2 / 2) * (width / 2 / 2);

    public static void CheckShape(int[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Length == 0 || sampleShape.Any(d => d <= 0))
            throw new ArgumentException($"Sample shape [{string.Join(", ", sampleShape)}] must have positive dimensions.", nameof(sampleShape));
    }

    private static long CnnParameters(int[] sampleShape, int classCount)
    {
        var (channels, height, width) = CnnImage(sampleShape);
        return Conv(channels, 32) + Conv(32, 64) + Linear(CnnFlattened(height, width), 512) + Linear(512, classCount);
    }

    private static long Inputs(int[] sampleShape)
    {
        try { return sampleShape.Aggregate(1L, (a, d) => checked(a * d)); }
        catch (OverflowException) { throw new ArgumentException($"Sample shape [{string.Join(", ", sampleShape)}] has more elements than a model can take.", nameof(sampleShape)); }
    }

    private static long Linear(long inputs, long outputs) => checked(inputs * outputs + outputs);

    private static long Conv(long inputs, long outputs) => checked(inputs * outputs * 5 * 5 + outputs); // 5x5 kernels
}
