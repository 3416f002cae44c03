namespace FlMicroservices.Core.Data;

/// <summary>
/// One client's local data set: held in memory, or generated each time training asks for it (<see cref="Load"/>), so that a
/// simulation of many registered clients holds only the data of the clients training right now (docs/data.md, "Lazy data").
/// </summary>
public sealed class ClientData
{
    private readonly InMemoryDataset? _held;
    private readonly Func<InMemoryDataset>? _generate;

    /// <summary>Data held in memory.</summary>
    public ClientData(InMemoryDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        _held = data;
        Count = data.Count;
        Shape = data.Shape;
        ClassCount = data.ClassCount;
    }

    /// <summary>Data made by <paramref name="generate"/> on each <see cref="Load"/>; it must give <paramref name="count"/> samples of <paramref name="shape"/>.</summary>
    public ClientData(int count, int[] shape, int classCount, Func<InMemoryDataset> generate)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(generate);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
        Shape = shape;
        ClassCount = classCount;
        _generate = generate;
    }

    /// <summary>Samples in the data set (known without generating it).</summary>
    public int Count { get; }

    /// <summary>The shape of one sample.</summary>
    public int[] Shape { get; }

    public int ClassCount { get; }

    /// <summary>Whether <see cref="Load"/> generates the data afresh (and nothing is held between calls).</summary>
    public bool IsGenerated => _held is null;

    /// <summary>The data set: the held one, or a freshly generated one (the same every time) that the caller may drop after use.</summary>
    /// <exception cref="InvalidOperationException">The generator gave another number of samples, shape or class count than announced.</exception>
    public InMemoryDataset Load()
    {
        if (_held is not null) return _held;
        var data = _generate!();
        if (data.Count != Count || data.ClassCount != ClassCount || !data.Shape.AsSpan().SequenceEqual(Shape))
            throw new InvalidOperationException(
                $"Generated data has {data.Count} samples of [{string.Join(", ", data.Shape)}] and {data.ClassCount} classes; " +
                $"{Count} of [{string.Join(", ", Shape)}] and {ClassCount} were announced.");
        return data;
    }

    /// <summary>The same data transformed by <paramref name="map"/> (which keeps its size), applied on each load when generated.</summary>
    public ClientData Select(Func<InMemoryDataset, InMemoryDataset> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (_held is not null) return new ClientData(map(_held));
        var generate = _generate!;
        return new ClientData(Count, Shape, ClassCount, () => map(generate()));
    }

    public static implicit operator ClientData(InMemoryDataset data) => new(data);
}
