using System.Collections;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>
/// The communication graph of a secure-aggregation round: client u masks its input with, and deals shares of its secrets to,
/// exactly its neighbours. The complete graph is SecAgg (Bonawitz et al. 2017); a sparse graph of degree O(log n) is SecAgg+
/// (Bell et al. 2020).
/// </summary>
/// <remarks>Design notes: docs/secure-aggregation.md, "Library notes: NeighbourGraph".</remarks>
public sealed class NeighbourGraph
{
    private readonly int[][]? _neighbours; // sorted; null for the complete graph

    private NeighbourGraph(int nodeCount, int degree, int[][]? neighbours)
    {
        NodeCount = nodeCount;
        Degree = degree;
        _neighbours = neighbours;
    }

    /// <summary>Number of clients n.</summary>
    public int NodeCount { get; }

    /// <summary>Neighbours per client (n − 1 for the complete graph).</summary>
    public int Degree { get; }

    /// <summary>True for full SecAgg.</summary>
    public bool IsComplete => _neighbours is null;

    /// <summary>2⌈log2 n⌉, clamped to n − 1 (see remarks).</summary>
    public static int DefaultDegree(int clients)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clients, 2);
        var log2 = 0;
        while ((1L << log2) < clients) log2++;
        return Math.Min(2 * log2, clients - 1);
    }

    /// <summary>The complete graph on <paramref name="clients"/> nodes (full SecAgg).</summary>
    public static NeighbourGraph Complete(int clients)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clients, 2);
        return new NeighbourGraph(clients, clients - 1, null);
    }

    /// <summary>
    /// The Harary graph H(k, n) relabelled by a permutation drawn from <paramref name="seed"/>; the complete graph when the
    /// (even) degree reaches n − 1.
    /// </summary>
    public static NeighbourGraph RandomHarary(int clients, int degree, ReadOnlySpan<byte> seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clients, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(degree, 2);
        if (degree % 2 == 1) degree++;
        if (degree >= clients - 1) return Complete(clients);

        var random = new SeededRandomNumberGenerator(seed, $"NeighbourGraph/{clients}/{degree}");
        var order = new int[clients]; // order[position] = client
        for (var i = 0; i < clients; i++) order[i] = i;
        for (var i = clients - 1; i > 0; i--)
        {
            var j = random.NextInt32(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        var neighbours = new int[clients][];
        var half = degree / 2;
        for (var position = 0; position < clients; position++)
        {
            var list = new int[degree];
            for (var offset = 1; offset <= half; offset++)
            {
                list[2 * (offset - 1)] = order[(position + offset) % clients];
                list[2 * (offset - 1) + 1] = order[(position - offset + clients) % clients];
            }
            Array.Sort(list);
            neighbours[order[position]] = list;
        }
        return new NeighbourGraph(clients, degree, neighbours);
    }

    /// <summary>The neighbours of <paramref name="client"/>, ascending, without the client itself.</summary>
    public IReadOnlyList<int> NeighboursOf(int client)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(client);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(client, NodeCount);
        return _neighbours is null ? new AllExcept(NodeCount, client) : _neighbours[client];
    }

    public bool AreNeighbours(int u, int v)
    {
        if ((uint)u >= (uint)NodeCount || (uint)v >= (uint)NodeCount || u == v) return false;
        return _neighbours is null || Array.BinarySearch(_neighbours[u], v) >= 0;
    }

    /// <summary>True when every client can reach every other (breadth-first search).</summary>
    public bool IsConnected()
    {
        var seen = new bool[NodeCount];
        var queue = new Queue<int>();
        seen[0] = true;
        queue.Enqueue(0);
        var reached = 1;
        while (queue.Count > 0)
        {
            foreach (var v in NeighboursOf(queue.Dequeue()))
            {
                if (seen[v]) continue;
                seen[v] = true;
                reached++;
                queue.Enqueue(v);
            }
        }
        return reached == NodeCount;
    }

    private sealed class AllExcept(int count, int excluded) : IReadOnlyList<int>
    {
        public int Count => count - 1;

        public int this[int index]
        {
            get
            {
                if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
                return index < excluded ? index : index + 1;
            }
        }

        public IEnumerator<int> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
            {
                if (i != excluded) yield return i;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
