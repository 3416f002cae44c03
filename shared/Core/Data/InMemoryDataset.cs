namespace FlMicroservices.Core.Data;

/// <summary>A labelled data set held in memory: <see cref="Count"/> rows of <see cref="FeatureCount"/> floats, row-major.</summary>
/// <remarks>
/// <see cref="Shape"/> describes one sample for models that need structure (images are [channels, height, width]);
/// flat tabular data has Shape = [FeatureCount]. Features are held as floats, or (<see cref="FromCodes"/>) as one byte per
/// value with a 256-entry table of the floats they stand for, a quarter of the memory for pixels; read them with
/// <see cref="CopyRows"/> or <see cref="CopyRow"/>, which give the same floats either way.
/// </remarks>
public sealed class InMemoryDataset
{
    private readonly float[]? _features;
    private readonly byte[]? _codes;
    private readonly float[]? _palette;

    public InMemoryDataset(float[] features, int[] labels, int[] shape, int classCount)
        : this(features, null, null, labels, shape, classCount)
    {
    }

    private InMemoryDataset(float[]? features, byte[]? codes, float[]? palette, int[] labels, int[] shape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(shape);
        if (features is null && codes is null) throw new ArgumentNullException(nameof(features));
        if (codes is not null && palette is not { Length: PaletteSize })
            throw new ArgumentException($"Byte-coded features need a table of {PaletteSize} floats.", nameof(palette));
        var length = features?.LongLength ?? codes!.LongLength;
        if (shape.Length == 0 || shape.Any(d => d <= 0))
            throw new ArgumentException($"Sample shape [{string.Join(", ", shape)}] must have positive dimensions.", nameof(shape));
        var featureCount = shape.Aggregate(1, (a, b) => checked(a * b));
        if (length != (long)labels.Length * featureCount)
            throw new ArgumentException(
                $"Features hold {length} values but {labels.Length} labels x {featureCount} features need {(long)labels.Length * featureCount}.",
                nameof(features));
        if (classCount < 2)
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "A classification data set needs at least 2 classes.");
        foreach (var y in labels)
        {
            if ((uint)y >= (uint)classCount)
                throw new ArgumentException($"Label {y} is outside [0, {classCount}).", nameof(labels));
        }

        _features = features;
        _codes = codes;
        _palette = palette;
        Labels = labels;
        Shape = shape;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    /// <summary>Entries in the table of a byte-coded data set: one per byte value.</summary>
    public const int PaletteSize = 256;

    /// <summary>A data set whose value j of row i is <paramref name="palette"/>[<paramref name="codes"/>[i * FeatureCount + j]].</summary>
    /// <remarks>The arrays are kept, not copied: <paramref name="palette"/> may be shared by many data sets.</remarks>
    public static InMemoryDataset FromCodes(byte[] codes, float[] palette, int[] labels, int[] shape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(palette);
        return new InMemoryDataset(null, codes, palette, labels, shape, classCount);
    }

    /// <summary>The features as one float array (row-major); only for a data set held as floats.</summary>
    /// <exception cref="InvalidOperationException">The data set is byte-coded (<see cref="IsCoded"/>): use <see cref="CopyRows"/> or <see cref="ToFloats"/>.</exception>
    public float[] Features => _features
        ?? throw new InvalidOperationException("This data set holds its features as byte codes; read them with CopyRows, CopyRow or ToFloats.");

    /// <summary>True when the features are held as bytes and a table (<see cref="FromCodes"/>).</summary>
    public bool IsCoded => _codes is not null;

    public int[] Labels { get; }
    public int[] Shape { get; }
    public int FeatureCount { get; }
    public int ClassCount { get; }
    public int Count => Labels.Length;

    /// <summary>Row <paramref name="i"/>; only for a data set held as floats (see <see cref="Features"/>).</summary>
    public ReadOnlySpan<float> Row(int i) => Features.AsSpan(i * FeatureCount, FeatureCount);

    /// <summary>Writes rows <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 as floats into <paramref name="destination"/>.</summary>
    public void CopyRows(int start, int count, Span<float> destination)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(start), start, $"Rows {start} .. {start + count - 1} are not all in [0, {Count}).");
        var values = count * FeatureCount;
        if (destination.Length < values)
            throw new ArgumentException($"{count} rows need room for {values} floats, not {destination.Length}.", nameof(destination));
        var at = start * FeatureCount;
        if (_features is not null)
        {
            _features.AsSpan(at, values).CopyTo(destination);
            return;
        }
        var codes = _codes.AsSpan(at, values);
        var palette = _palette!;
        for (var j = 0; j < codes.Length; j++) destination[j] = palette[codes[j]];
    }

    /// <summary>Writes row <paramref name="i"/> as floats into <paramref name="destination"/>.</summary>
    public void CopyRow(int i, Span<float> destination) => CopyRows(i, 1, destination);

    /// <summary>Every feature as a new float array, row-major.</summary>
    public float[] ToFloats()
    {
        var values = new float[(long)Count * FeatureCount];
        CopyRows(0, Count, values);
        return values;
    }

    /// <summary>The same features (shared, not copied) with other labels, one per row.</summary>
    public InMemoryDataset WithLabels(int[] labels) =>
        new(_features, _codes, _palette, labels, (int[])Shape.Clone(), ClassCount);

    /// <summary>Copies the rows named by <paramref name="indices"/>, in that order, into a new data set held as this one is.</summary>
    public InMemoryDataset Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var features = _features is null ? null : new float[(long)indices.Count * FeatureCount];
        var codes = _codes is null ? null : new byte[(long)indices.Count * FeatureCount];
        var labels = new int[indices.Count];
        for (var k = 0; k < indices.Count; k++)
        {
            var i = indices[k];
            if ((uint)i >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), i, $"Row index outside [0, {Count}).");
            if (features is not null) Row(i).CopyTo(features.AsSpan(k * FeatureCount, FeatureCount));
            else _codes.AsSpan(i * FeatureCount, FeatureCount).CopyTo(codes.AsSpan(k * FeatureCount, FeatureCount));
            labels[k] = Labels[i];
        }
        return new InMemoryDataset(features, codes, _palette, labels, (int[])Shape.Clone(), ClassCount);
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
        var features = parts.SelectMany(p => p.ToFloats()).ToArray();
        var labels = parts.SelectMany(p => p.Labels).ToArray();
        return new InMemoryDataset(features, labels, (int[])first.Shape.Clone(), first.ClassCount);
    }
}
