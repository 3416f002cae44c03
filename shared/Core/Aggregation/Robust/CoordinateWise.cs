namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>Applies a coordinate-wise statistic across clients, slice by slice, over a <see cref="SliceMatrix"/>.</summary>
public static class CoordinateWise
{
    /// <summary>
    /// For every coordinate of every owned slice, gathers the clients' values, sorts them and writes
    /// <paramref name="reducer"/>'s statistic into <paramref name="destination"/> (the whole model's length);
    /// slices nobody delivered are zero.
    /// </summary>
    /// <param name="clientIds">The clients whose values count, each of which must have delivered every owned slice;
    /// null: for each slice, every client that delivered it.</param>
    /// <remarks>Values are gathered in ordinal order of client ids before sorting, so the result does not depend on arrival order.</remarks>
    public static void Reduce<TReducer>(SliceMatrix matrix, IReadOnlyList<string>? clientIds, Span<float> destination, TReducer reducer)
        where TReducer : struct, IColumnReducer
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (destination.Length != matrix.ParameterCount)
            throw new ArgumentException($"Destination must hold {matrix.ParameterCount} values.", nameof(destination));
        if (clientIds is { Count: 0 })
            throw new ArgumentException("A coordinate-wise statistic needs at least one client.", nameof(clientIds));

        var ordered = clientIds is null ? null : SortedCopy(clientIds);
        var column = new float[ordered?.Length ?? matrix.ClientCount];
        for (var s = 0; s < matrix.SliceCount; s++)
        {
            var target = destination.Slice(s * matrix.SliceElements, matrix.SliceLength(s));
            if (!matrix.IsOwned(s)) { target.Clear(); continue; }
            var ids = ordered ?? matrix.ClientsOf(s);
            var rows = new float[ids.Count][];
            for (var i = 0; i < rows.Length; i++) rows[i] = matrix.RowArray(s, ids[i]);
            var values = column.AsSpan(0, rows.Length);
            for (var j = 0; j < target.Length; j++)
            {
                for (var i = 0; i < rows.Length; i++) values[i] = rows[i][j];
                values.Sort();
                target[j] = reducer.Reduce(values);
            }
        }
    }

    /// <summary>The median of ascending values; for an even count, the mean of the two middle values.</summary>
    public static float MedianOfSorted(ReadOnlySpan<float> sorted)
    {
        if (sorted.IsEmpty) throw new ArgumentException("The median of no values is undefined.", nameof(sorted));
        var middle = sorted.Length / 2;
        // In double, so that two huge values of the same sign cannot overflow on the way.
        return sorted.Length % 2 == 1 ? sorted[middle] : (float)(((double)sorted[middle - 1] + sorted[middle]) / 2);
    }

    private static string[] SortedCopy(IReadOnlyList<string> ids)
    {
        var copy = new string[ids.Count];
        for (var i = 0; i < copy.Length; i++) copy[i] = ids[i];
        Array.Sort(copy, StringComparer.Ordinal);
        return copy;
    }
}
