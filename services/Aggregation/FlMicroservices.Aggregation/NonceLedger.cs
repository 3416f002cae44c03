using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Aggregation;

/// <summary>The signature nonces each client used lately, kept in the aggregation's state store so that a restart still refuses a resent statement.</summary>
/// <remarks>
/// A nonce is claimed in memory when its statement verifies and stored once the manifest's effect is stored (the control
/// checkpoint), so a crash between the two leaves the broker's redelivery acceptable. Bound: per client, the nonces of its two
/// latest rounds of each task and at most <see cref="PerClient"/> in all (docs/signing.md, "Replay").
/// </remarks>
public sealed class NonceLedger(IStateStore store, string kind = NonceLedger.DefaultKind) : RestoredState
{
    /// <summary>The document kind of an unsharded aggregation; each shard keeps its own (<see cref="KindFor"/>), as each verifies every manifest.</summary>
    public const string DefaultKind = "nonces";

    /// <summary>The most nonces kept for one client.</summary>
    public const int PerClient = 64;

    private readonly Dictionary<string, UsedNonces> _clients = new(StringComparer.Ordinal);
    private readonly HashSet<string> _claimed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>A ledger that lives in memory only.</summary>
    public NonceLedger() : this(new InMemoryStateStore()) { }

    public override string Name => "signature nonces";

    /// <summary>The document kind of shard <paramref name="shard"/> (null: unsharded).</summary>
    public static string KindFor(ShardSettings? shard) => shard is null ? DefaultKind : $"{DefaultKind}-shard-{shard.Index}";

    /// <summary>Claims <paramref name="nonce"/> for this client; false when it was stored as used or claimed already.</summary>
    public async Task<bool> TryClaimAsync(string clientId, string nonce, CancellationToken cancellationToken)
    {
        await RestoreAsync(cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_clients.TryGetValue(clientId, out var used) && used.Nonces.Any(n => n.Nonce == nonce)) return false;
            return _claimed.Add(Claim(clientId, nonce));
        }
        finally { _gate.Release(); }
    }

    /// <summary>Stores a claimed nonce as used (before it returns); a nonce this process did not claim is not stored.</summary>
    public async Task RecordAsync(string clientId, string taskId, int round, string? nonce, CancellationToken cancellationToken)
    {
        if (nonce is null) return;
        await RestoreAsync(cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_claimed.Contains(Claim(clientId, nonce))) return;
            var kept = (_clients.GetValueOrDefault(clientId)?.Nonces ?? [])
                .Where(n => n.TaskId != taskId || n.Round >= round - 1) // a statement binds its round: older rounds' nonces cannot verify again
                .Append(new UsedNonce(taskId, round, nonce))
                .TakeLast(PerClient)
                .ToList();
            var used = new UsedNonces(clientId, kept);
            await store.PutAsync(kind, clientId, used, cancellationToken);
            _clients[clientId] = used;
            _claimed.Remove(Claim(clientId, nonce));
        }
        finally { _gate.Release(); }
    }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        var stored = await store.ListAsync<UsedNonces>(kind, cancellationToken);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _clients.Clear();
            foreach (var client in stored) _clients[client.ClientId] = client;
        }
        finally { _gate.Release(); }
    }

    private static string Claim(string clientId, string nonce) => $"{clientId}\n{nonce}";
}

/// <summary>The nonces one client used lately, oldest first, as the aggregation stores them.</summary>
public sealed record UsedNonces(string ClientId, List<UsedNonce> Nonces);

/// <summary>A nonce and the task and round of the statement it signed.</summary>
public sealed record UsedNonce(string TaskId, int Round, string Nonce);
