using FlMicroservices.Core.Data;

namespace FlMicroservices.Training.Tests;

/// <summary>A linearly separable problem: each class is a tight Gaussian cloud around its own corner of a hypercube.</summary>
internal static class SeparableClusters
{
    /// <param name="sampleSeed">Draws the points; the class centres depend only on the feature and class counts, so
    /// data sets with different sample seeds are draws from one problem (a training set and its test set).</param>
    public static InMemoryDataset Generate(int count, int features = 10, int classes = 4, int sampleSeed = 1)
    {
        var centreRng = new Random(features * 1000 + classes);
        var centres = Enumerable.Range(0, classes)
            .Select(_ => Enumerable.Range(0, features).Select(_ => centreRng.Next(2) == 0 ? -2f : 2f).ToArray())
            .ToArray();
        var rng = new Random(sampleSeed);
        var x = new float[count * features];
        var y = new int[count];
        for (var i = 0; i < count; i++)
        {
            y[i] = i % classes;
            for (var f = 0; f < features; f++)
                x[i * features + f] = centres[y[i]][f] + (float)(0.7 * Gaussian(rng));
        }
        return new InMemoryDataset(x, y, [features], classes);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
