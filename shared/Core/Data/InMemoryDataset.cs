namespace FlMicroservices.Core.Data;

/// <summary>A labelled data set held in memory: <see cref="Features"/> is row-major, <see cref="Count"/> rows of <see cref="FeatureCount"/> floats.</summary>
/// <remarks>
/// <see cref="Shape"/> describes one sample for models that need structure (images are [channels, height, width]);
/// flat tabular data has Shape = [FeatureCount].
/// </remarks>
public sealed class InMemoryDataset
{
    public InMemoryDataset(float[] features, int[] labels, int[] shape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0 || shape.Any(d => d <= 0))
            throw new ArgumentException($"Sample shape [{string.Join(", ", shape)}] must have positive dimensions.", nameof(shape));
        var featureCount = shape.Aggregate(1, (a, b) => checked(a * b));
        if (features.Length != (long)labels.Length * featureCount)
            throw new ArgumentException(
                $"Features hold {features.Length} floats but {labels.Length} labels x {featureCount} features need {(long)labels.Length * featureCount}.",
                nameof(features));
        if (classCount < 2)
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "A classification data set needs at least 2 classes.");
        foreach (var y in labels)
        {
            if ((uint)y >= (uint)classCount)
                throw new ArgumentException($"Label {y} is outside [0, {classCount}).", nameof(labels));
        }

        Features = features;
        Labels = labels;
        Shape = shape;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    public float[] Features { get; }
    public int[] Labels { get; }
    public int[] Shape { get; }
    public int FeatureCount { get; }
    public int ClassCount { get; }
    public int Count => Labels.Length;

    public ReadOnlySpan<float> Row(int i) => Features.AsSpan(i * FeatureCount, FeatureCount);

    /// <summary>Copies the rows named by <paramref name="indices"/>, in that order, into a new data set.</summary>
    public InMemoryDataset Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var features = new float[(long)indices.Count * FeatureCount];
        var labels = new int[indices.Count];
        for (var k = 0; k < indices.Count; k++)
        {
            var i = indices[k];
            if ((uint)i >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), i, $"Row index outside [0, {Count}).");
            Row(i).CopyTo(features.AsSpan(k * FeatureCount, FeatureCount));
            labels[k] = Labels[i];
        }
        return new InMemoryDataset(features, labels, (int[])Shape.Clone(), ClassCount);
    }

    /// <summary>The first <paramref name="count"/> rows (or all of them when there are fewer).</summary>
    public InMemoryDataset Take(int count) => Subset(Enumerable.Range(0, Math.Min(count, Count)).ToArray());

    /// <summary>Concatenates data sets that share a sample shape and class count.</summary>
    public static InMemoryDataset Concat(IReadOnlyList<InMemoryDataset> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("Nothing to concatenate.", nameof(parts));
        var first = parts[0];
        foreach (var p in parts)
        {
            if (!p.Shape.SequenceEqual(first.Shape) || p.ClassCount != first.ClassCount)
                throw new ArgumentException("Data sets to concatenate must share shape and class count.", nameof(parts));
        }
        var features = parts.SelectMany(p => p.Features).ToArray();
        var labels = parts.SelectMany(p => p.Labels).ToArray();
        return new InMemoryDataset(features, labels, (int[])first.Shape.Clone(), first.ClassCount);
    }
}
