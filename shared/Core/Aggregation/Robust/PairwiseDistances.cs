using System.Numerics.Tensors;

namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>
/// Squared Euclidean distances between clients' updates (n x n, symmetric, zero diagonal), over some or all
/// slices of the model: the only input the Krum family's selection needs.
/// </summary>
/// <remarks>Design notes: docs/aggregation.md, "Notes: PairwiseDistances".</remarks>
public sealed class PairwiseDistances
{
    // Coordinates converted to double and compared per chunk: bounded scratch (clients x Chunk doubles), cache-resident.
    private const int Chunk = 1024;

    private readonly string[] _ids;
    private readonly double[] _squared;

    /// <summary>A matrix received from elsewhere (for example a partial computed by another aggregation instance).</summary>
    /// <param name="clientIds">Distinct ids in ordinal order.</param>
    /// <param name="squaredDistances">Row-major n x n: symmetric, zero on the diagonal, non-negative.</param>
    public PairwiseDistances(IReadOnlyList<string> clientIds, ReadOnlySpan<double> squaredDistances)
    {
        ArgumentNullException.ThrowIfNull(clientIds);
        var n = clientIds.Count;
        var ids = new string[n];
        for (var i = 0; i < n; i++)
        {
            ids[i] = clientIds[i] ?? throw new ArgumentException("A client id is null.", nameof(clientIds));
            if (i > 0 && string.CompareOrdinal(ids[i - 1], ids[i]) >= 0)
                throw new ArgumentException("Client ids must be distinct and in ordinal order.", nameof(clientIds));
        }
        if (squaredDistances.Length != (long)n * n)
            throw new ArgumentException($"{n} clients need {(long)n * n} squared distances, not {squaredDistances.Length}.", nameof(squaredDistances));
        for (var i = 0; i < n; i++)
        {
            if (squaredDistances[i * n + i] != 0)
                throw new ArgumentException($"The distance of client '{ids[i]}' to itself must be 0.", nameof(squaredDistances));
            for (var j = i + 1; j < n; j++)
            {
                var value = squaredDistances[i * n + j];
                if (!(value >= 0) || value != squaredDistances[j * n + i])
                    throw new ArgumentException($"The distance between '{ids[i]}' and '{ids[j]}' must be non-negative and symmetric.", nameof(squaredDistances));
            }
        }
        _ids = ids;
        _squared = squaredDistances.ToArray();
    }

    private PairwiseDistances(string[] ids, double[] squared)
    {
        _ids = ids;
        _squared = squared;
    }

    /// <summary>The clients, in ordinal order; index i of the matrix is <c>ClientIds[i]</c>.</summary>
    public IReadOnlyList<string> ClientIds => _ids;

    public int Count => _ids.Length;

    /// <summary>The squared distance between clients <paramref name="i"/> and <paramref name="j"/>.</summary>
    public double this[int i, int j]
    {
        get
        {
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i));
            if ((uint)j >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(j));
            return _squared[i * Count + j];
        }
    }

    /// <summary>The matrix, row-major (what would be sent to the place that combines partials).</summary>
    public ReadOnlySpan<double> Values => _squared;

    /// <summary>The index of <paramref name="clientId"/>, or -1 when the matrix does not cover it.</summary>
    public int IndexOf(string clientId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        var index = Array.BinarySearch(_ids, clientId, StringComparer.Ordinal);
        return index >= 0 ? index : -1;
    }

    /// <summary>The partial matrix of one slice.</summary>
    /// <param name="clientIds">The clients to compare (each must have delivered the slice); null: every client that delivered it.</param>
    public static PairwiseDistances ForSlice(SliceMatrix matrix, int sliceIndex, IReadOnlyList<string>? clientIds = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var ids = SortedDistinct(clientIds ?? matrix.ClientsOf(sliceIndex));
        var result = new double[ids.Length * ids.Length];
        AddSlice(matrix, sliceIndex, ids, result, new double[ids.Length * ids.Length]);
        return new PairwiseDistances(ids, result);
    }

    /// <summary>
    /// The partial matrix of every slice this matrix owns (summed in ascending slice order) over the clients that
    /// delivered all of them: equal, bit for bit, to <see cref="Combine"/> of the per-slice <see cref="ForSlice"/> partials.
    /// </summary>
    public static PairwiseDistances ForOwnedSlices(SliceMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var ids = SortedDistinct(matrix.CompleteClients());
        var result = new double[ids.Length * ids.Length];
        var scratch = new double[result.Length];
        for (var s = 0; s < matrix.SliceCount; s++)
            if (matrix.IsOwned(s)) AddSlice(matrix, s, ids, result, scratch);
        return new PairwiseDistances(ids, result);
    }

    /// <summary>
    /// Sums partial matrices (in the order given) into the matrix over all their coordinates. The result covers the
    /// clients present in every partial, since only they have a full distance.
    /// </summary>
    public static PairwiseDistances Combine(IReadOnlyList<PairwiseDistances> partials)
    {
        ArgumentNullException.ThrowIfNull(partials);
        if (partials.Count == 0)
            throw new ArgumentException("Combining needs at least one partial matrix.", nameof(partials));
        var common = new List<string>(partials[0]._ids);
        for (var p = 1; p < partials.Count; p++)
            common.RemoveAll(id => partials[p].IndexOf(id) < 0);
        var ids = common.ToArray();
        var n = ids.Length;
        var result = new double[n * n];
        var map = new int[n];
        foreach (var partial in partials)
        {
            for (var i = 0; i < n; i++) map[i] = partial.IndexOf(ids[i]);
            var source = partial._squared;
            var width = partial.Count;
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                    result[i * n + j] += source[map[i] * width + map[j]];
        }
        return new PairwiseDistances(ids, result);
    }

    /// <summary>The squared Euclidean distance of two equally long vectors, computed exactly as the matrices compute it.</summary>
    public static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Vectors of {a.Length} and {b.Length} values have no distance.", nameof(b));
        var chunk = Math.Min(Chunk, Math.Max(1, a.Length));
        Span<double> x = new double[chunk], y = new double[chunk];
        var total = 0.0;
        for (var start = 0; start < a.Length; start += Chunk)
        {
            var length = Math.Min(Chunk, a.Length - start);
            TensorPrimitives.ConvertChecked(a.Slice(start, length), x[..length]);
            TensorPrimitives.ConvertChecked(b.Slice(start, length), y[..length]);
            total += ChunkDistance(x[..length], y[..length]);
        }
        return total;
    }

    /// <summary>Adds slice <paramref name="sliceIndex"/>'s squared distances between <paramref name="ids"/> into <paramref name="result"/>.</summary>
    private static void AddSlice(SliceMatrix matrix, int sliceIndex, string[] ids, double[] result, double[] sliceDistances)
    {
        var n = ids.Length;
        if (n == 0) return;
        var rows = new float[n][];
        for (var i = 0; i < n; i++) rows[i] = matrix.RowArray(sliceIndex, ids[i]);
        var length = matrix.SliceLength(sliceIndex);
        var chunk = Math.Min(Chunk, length);
        var wide = new double[n * chunk];
        Array.Clear(sliceDistances);
        for (var start = 0; start < length; start += Chunk)
        {
            var take = Math.Min(Chunk, length - start);
            for (var i = 0; i < n; i++)
                TensorPrimitives.ConvertChecked<float, double>(rows[i].AsSpan(start, take), wide.AsSpan(i * chunk, take));
            for (var i = 0; i < n; i++)
            {
                var xi = wide.AsSpan(i * chunk, take);
                for (var j = i + 1; j < n; j++)
                    sliceDistances[i * n + j] += ChunkDistance(xi, wide.AsSpan(j * chunk, take));
            }
        }
        // The slice's distances are complete before they join the total: summing slices in a fixed order
        // is what makes this equal to combining per-slice partials.
        for (var i = 0; i < n; i++)
            for (var j = i + 1; j < n; j++)
            {
                result[i * n + j] += sliceDistances[i * n + j];
                result[j * n + i] = result[i * n + j];
            }
    }

    [ThreadStatic] private static double[]? t_difference;

    private static double ChunkDistance(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var difference = t_difference ??= new double[Chunk];
        var d = difference.AsSpan(0, x.Length);
        TensorPrimitives.Subtract(x, y, d);
        return TensorPrimitives.SumOfSquares<double>(d);
    }

    private static string[] SortedDistinct(IReadOnlyList<string> ids)
    {
        var copy = new string[ids.Count];
        for (var i = 0; i < copy.Length; i++)
            copy[i] = ids[i] ?? throw new ArgumentException("A client id is null.", nameof(ids));
        Array.Sort(copy, StringComparer.Ordinal);
        for (var i = 1; i < copy.Length; i++)
            if (copy[i - 1] == copy[i]) throw new ArgumentException($"Client '{copy[i]}' is listed twice.", nameof(ids));
        return copy;
    }
}
