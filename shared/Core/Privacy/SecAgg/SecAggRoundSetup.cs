using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>
/// How a platform round becomes a secure-aggregation round, computed the same way by the aggregation service and by every
/// node from the round's public announcement alone, so that nothing about the setting has to be negotiated.
/// </summary>
/// <remarks>Design notes: docs/secure-aggregation.md, "Library notes: SecAggRoundSetup".</remarks>
public sealed class SecAggRoundSetup
{
    private readonly string[] _clients;
    private readonly Dictionary<string, int> _slots;

    private SecAggRoundSetup(string[] clients, SecAggParameters parameters)
    {
        _clients = clients;
        _slots = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < clients.Length; i++) _slots[clients[i]] = i;
        Parameters = parameters;
    }

    public SecAggParameters Parameters { get; }

    /// <summary>The participants in protocol order: entry u is protocol client u.</summary>
    public IReadOnlyList<string> Clients => _clients;

    /// <summary>The protocol id of a participant.</summary>
    public bool TryGetSlot(string clientId, out int slot) => _slots.TryGetValue(clientId, out slot);

    /// <summary>The participant with protocol id <paramref name="slot"/>.</summary>
    public string ClientOf(int slot) => (uint)slot < (uint)_clients.Length ? _clients[slot] : $"protocol client {slot}";

    /// <summary>The public round seed (see remarks).</summary>
    public static byte[] DeriveRoundSeed(string taskId, int round, int modelVersion, int taskSeed)
    {
        ArgumentNullException.ThrowIfNull(taskId);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes("FlMicroservices.SecAgg/v1/round-seed"));
        Span<byte> fields = stackalloc byte[4 * sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(fields, Encoding.UTF8.GetByteCount(taskId));
        BinaryPrimitives.WriteInt32LittleEndian(fields[4..], round);
        BinaryPrimitives.WriteInt32LittleEndian(fields[8..], modelVersion);
        BinaryPrimitives.WriteInt32LittleEndian(fields[12..], taskSeed);
        hash.AppendData(fields);
        hash.AppendData(Encoding.UTF8.GetBytes(taskId));
        return hash.GetHashAndReset();
    }

    /// <summary>The round's setting.</summary>
    /// <param name="secAggPlus">SecAgg+ (sparse graph) instead of full SecAgg.</param>
    /// <param name="clipBound">c: the coordinate clip bound.</param>
    /// <param name="threshold">t, or null for the default strict majority of each secret's holders.</param>
    /// <param name="degree">SecAgg+ only: k, or null for <see cref="NeighbourGraph.DefaultDegree"/>.</param>
    /// <exception cref="ArgumentException">Fewer than 3 participants, a participant listed twice, or a parameter out of range
    /// (the message says which).</exception>
    public static SecAggRoundSetup Create(string taskId, int round, int modelVersion, int taskSeed, IEnumerable<string> participants,
        int parameterCount, bool secAggPlus, double clipBound, int? threshold = null, int? degree = null)
    {
        ArgumentNullException.ThrowIfNull(participants);
        var clients = participants.ToArray();
        Array.Sort(clients, StringComparer.Ordinal);
        for (var i = 1; i < clients.Length; i++)
        {
            if (clients[i] == clients[i - 1])
                throw new ArgumentException($"Participant '{clients[i]}' is listed twice.", nameof(participants));
        }
        if (clients.Length < 3)
        {
            throw new ArgumentException(
                $"Secure aggregation needs at least 3 participants; the round has {clients.Length} (with fewer, the sum would reveal the inputs).",
                nameof(participants));
        }
        var seed = DeriveRoundSeed(taskId, round, modelVersion, taskSeed);
        var parameters = secAggPlus
            ? SecAggParameters.SecAggPlus(clients.Length, parameterCount, clipBound, seed, degree, threshold)
            : SecAggParameters.SecAgg(clients.Length, parameterCount, clipBound, seed, threshold);
        return new SecAggRoundSetup(clients, parameters);
    }
}
