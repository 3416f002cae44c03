using FlMicroservices.Core.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FlMicroservices.Training;

/// <summary>Builds the models the platform trains, by name; every model maps a batch of samples to class logits.</summary>
/// <remarks>
/// <c>mlp</c> and <c>cnn</c> are the "2NN" and "CNN" of McMahan et al. 2017 (Communication-Efficient Learning of
/// Deep Networks from Decentralized Data), generalised from MNIST to any input size and class count.
/// </remarks>
public static class ModelFactory
{
    private static readonly Lock GlobalRandomGate = new();

    public static IReadOnlyList<string> Names => ModelShapes.Names;

    /// <summary>Builds a freshly initialised model for samples of <paramref name="sampleShape"/> and <paramref name="classCount"/> classes.</summary>
    /// <exception cref="ArgumentException">An unknown name, or a sample shape the model cannot take.</exception>
    public static Module<Tensor, Tensor> Create(string name, int[] sampleShape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(name);
        ValidateShape(sampleShape);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        TorchRuntime.EnsureLoaded();
        // Initialisation draws from torch's process-wide generator: under the gate, so that no construction elsewhere in the
        // process can take draws between InitialParameters' seeding and its own (a seeded run's initial model would change).
        lock (GlobalRandomGate) return Build(name, sampleShape, classCount);
    }

    private static Module<Tensor, Tensor> Build(string name, int[] sampleShape, int classCount)
    {
        var inputs = sampleShape.Aggregate(1L, (a, d) => checked(a * d));
        return name.Trim().ToLowerInvariant() switch
        {
            "logreg" => Sequential(
                ("flatten", Flatten()),
                ("linear", Linear(inputs, classCount))),
            "mlp" => Sequential(
                ("flatten", Flatten()),
                ("fc1", Linear(inputs, 200)),
                ("relu1", ReLU()),
                ("fc2", Linear(200, 200)),
                ("relu2", ReLU()),
                ("fc3", Linear(200, classCount))),
            "cnn" => Cnn(sampleShape, classCount),
            _ => throw new ArgumentException($"Unknown model '{name}'; valid names are {string.Join(", ", Names)}.", nameof(name)),
        };
    }

    /// <summary>The parameters of a model built with torch's default initialisation from <paramref name="seed"/>.</summary>
    /// <remarks>Seeds torch's process-wide generator; the lock keeps two callers from interleaving draws on it.</remarks>
    public static float[] InitialParameters(string name, int[] sampleShape, int classCount, int seed)
    {
        ArgumentNullException.ThrowIfNull(name);
        ValidateShape(sampleShape);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 2);
        lock (GlobalRandomGate)
        {
            TorchRuntime.EnsureLoaded();
            torch.random.manual_seed(seed);
            using var model = Build(name, sampleShape, classCount);
            return ParameterVector.Get(model);
        }
    }

    private static Module<Tensor, Tensor> Cnn(int[] sampleShape, int classCount)
    {
        var flatMnist = sampleShape is [784];
        var (channels, height, width) = ModelShapes.CnnImage(sampleShape);

        // Padding 2 keeps each 5x5 convolution size-preserving, so only the two 2x2 pools shrink the image.
        var flattened = ModelShapes.CnnFlattened(height, width);
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        if (flatMnist) layers.Add(("unflatten", Unflatten(1, [1, 28, 28])));
        layers.AddRange(
        [
            ("conv1", Conv2d(channels, 32, kernel_size: 5, padding: 2)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(kernel_size: 2)),
            ("conv2", Conv2d(32, 64, kernel_size: 5, padding: 2)),
            ("relu2", ReLU()),
            ("pool2", MaxPool2d(kernel_size: 2)),
            ("flatten", Flatten()),
            ("fc1", Linear(flattened, 512)),
            ("relu3", ReLU()),
            ("fc2", Linear(512, classCount)),
        ]);
        return Sequential(layers);
    }

    internal static void ValidateShape(int[] sampleShape) => ModelShapes.CheckShape(sampleShape);
}
