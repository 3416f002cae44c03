using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>
/// The public setting of one secure-aggregation round, which the server announces and every party checks: who may take
/// part, the vector length, the quantisation, the neighbour graph and the reconstruction threshold.
/// </summary>
/// <remarks>Design notes: docs/secure-aggregation.md, "Library notes: SecAggParameters".</remarks>
public sealed class SecAggParameters
{
    /// <summary>Bytes of the public round seed.</summary>
    public const int RoundSeedBytes = 32;

    private readonly byte[] _roundSeed;
    private readonly byte[] _sessionId;

    private SecAggParameters(int clientCount, int parameterCount, double clipBound, byte[] roundSeed, NeighbourGraph graph,
        int threshold, QuantizationRounding rounding)
    {
        ClientCount = clientCount;
        ParameterCount = parameterCount;
        ClipBound = clipBound;
        _roundSeed = roundSeed;
        Graph = graph;
        Threshold = threshold;
        Rounding = rounding;
        Quantizer = new FixedPointQuantizer(clipBound, clientCount);
        _sessionId = ComputeSessionId();
    }

    /// <summary>n: registered clients (also the n of the quantisation grid).</summary>
    public int ClientCount { get; }

    /// <summary>P: length of every update.</summary>
    public int ParameterCount { get; }

    /// <summary>c: every coordinate is clipped to [−c, c] before quantisation.</summary>
    public double ClipBound { get; }

    /// <summary>Public randomness of the round; fixes the neighbour graph and the session id.</summary>
    public ReadOnlySpan<byte> RoundSeed => _roundSeed;

    /// <summary>SHA-256 of everything above (see remarks).</summary>
    public ReadOnlySpan<byte> SessionId => _sessionId;

    public NeighbourGraph Graph { get; }

    /// <summary>k: neighbours per client (n − 1 for full SecAgg).</summary>
    public int Degree => Graph.Degree;

    /// <summary>t: shares needed to reconstruct a secret, out of the k + 1 holders.</summary>
    public int Threshold { get; }

    public QuantizationRounding Rounding { get; }

    public FixedPointQuantizer Quantizer { get; }

    /// <summary>True when the graph is sparse (SecAgg+), false for the complete graph (SecAgg).</summary>
    public bool IsSecAggPlus => !Graph.IsComplete;

    /// <summary>k + 1: the holders of each secret, the dealer included.</summary>
    public int HolderCount => Degree + 1;

    /// <summary>⌊holders / 2⌋ + 1: a strict majority of the holders.</summary>
    public static int DefaultThreshold(int holders) => holders / 2 + 1;

    /// <summary>Full SecAgg: the complete graph.</summary>
    public static SecAggParameters SecAgg(int clientCount, int parameterCount, double clipBound, ReadOnlySpan<byte> roundSeed,
        int? threshold = null, QuantizationRounding rounding = QuantizationRounding.Nearest) =>
        Create(clientCount, parameterCount, clipBound, roundSeed, clientCount - 1, threshold, rounding);

    /// <summary>SecAgg+: a random Harary graph of degree <paramref name="degree"/> (default <see cref="NeighbourGraph.DefaultDegree"/>).</summary>
    public static SecAggParameters SecAggPlus(int clientCount, int parameterCount, double clipBound, ReadOnlySpan<byte> roundSeed,
        int? degree = null, int? threshold = null, QuantizationRounding rounding = QuantizationRounding.Nearest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clientCount, 3);
        return Create(clientCount, parameterCount, clipBound, roundSeed, degree ?? NeighbourGraph.DefaultDegree(clientCount), threshold, rounding);
    }

    /// <exception cref="ArgumentException">An argument is out of range: fewer than 3 clients, no parameters, a seed that is
    /// not 32 bytes, a degree below 2, or a threshold outside [2, k + 1].</exception>
    public static SecAggParameters Create(int clientCount, int parameterCount, double clipBound, ReadOnlySpan<byte> roundSeed,
        int degree, int? threshold = null, QuantizationRounding rounding = QuantizationRounding.Nearest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clientCount, 3);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        if (roundSeed.Length != RoundSeedBytes)
            throw new ArgumentException($"The round seed must be {RoundSeedBytes} bytes, not {roundSeed.Length}.", nameof(roundSeed));
        if (!Enum.IsDefined(rounding)) throw new ArgumentOutOfRangeException(nameof(rounding), rounding, "Unknown rounding.");
        var graph = degree >= clientCount - 1
            ? NeighbourGraph.Complete(clientCount)
            : NeighbourGraph.RandomHarary(clientCount, degree, roundSeed);
        var holders = graph.Degree + 1;
        var t = threshold ?? DefaultThreshold(holders);
        if (t < 2 || t > holders)
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), t,
                $"The threshold must be between 2 and the {holders} holders of each secret (degree {graph.Degree} plus the dealer).");
        }
        _ = new FixedPointQuantizer(clipBound, clientCount); // validates the clip bound
        return new SecAggParameters(clientCount, parameterCount, clipBound, roundSeed.ToArray(), graph, t, rounding);
    }

    /// <summary>A fresh random round seed.</summary>
    public static byte[] NewRoundSeed() => RandomNumberGenerator.GetBytes(RoundSeedBytes);

    /// <summary>The holders of client <paramref name="client"/>'s shares: its neighbours and itself, ascending.</summary>
    public int[] HoldersOf(int client)
    {
        var neighbours = Graph.NeighboursOf(client);
        var holders = new int[neighbours.Count + 1];
        var k = 0;
        var placed = false;
        foreach (var v in neighbours)
        {
            if (!placed && v > client)
            {
                holders[k++] = client;
                placed = true;
            }
            holders[k++] = v;
        }
        if (!placed) holders[k] = client;
        return holders;
    }

    private byte[] ComputeSessionId()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes("FlMicroservices.SecAgg/v1/session"));
        hash.AppendData(_roundSeed);
        Span<byte> fields = stackalloc byte[5 * sizeof(int) + sizeof(long)];
        BinaryPrimitives.WriteInt32LittleEndian(fields, ClientCount);
        BinaryPrimitives.WriteInt32LittleEndian(fields[4..], ParameterCount);
        BinaryPrimitives.WriteInt32LittleEndian(fields[8..], Degree);
        BinaryPrimitives.WriteInt32LittleEndian(fields[12..], Threshold);
        BinaryPrimitives.WriteInt32LittleEndian(fields[16..], (int)Rounding);
        BinaryPrimitives.WriteInt64LittleEndian(fields[20..], BitConverter.DoubleToInt64Bits(ClipBound));
        hash.AppendData(fields);
        return hash.GetHashAndReset();
    }
}
