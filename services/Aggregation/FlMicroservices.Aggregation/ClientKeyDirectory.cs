using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Aggregation;

/// <summary>The public keys the registry bound to each client, learnt from <see cref="ClientRegistered"/> and kept in the aggregation's state store.</summary>
public sealed class ClientKeyDirectory(IStateStore store) : RestoredState
{
    private const string Kind = "client-keys";
    private readonly ConcurrentDictionary<string, KnownClientKeys> _clients = new(StringComparer.Ordinal);

    /// <summary>A directory that lives in memory only.</summary>
    public ClientKeyDirectory() : this(new InMemoryStateStore()) { }

    public override string Name => "client key directory";

    /// <summary>Records the keys a registration announced (stored before it returns); an announcement without keys changes nothing.</summary>
    public async Task RecordAsync(ClientRegistered registered, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registered);
        if (registered.Keys is not { Length: > 0 } keys) return;
        await RestoreAsync(cancellationToken);
        var known = new KnownClientKeys(registered.ClientId, keys);
        await store.PutAsync(Kind, registered.ClientId, known, cancellationToken);
        _clients[registered.ClientId] = known;
    }

    /// <summary>The client's key for <paramref name="algorithm"/>, or null when none was announced.</summary>
    public async Task<ClientKey?> FindAsync(string clientId, string algorithm, CancellationToken cancellationToken)
    {
        await RestoreAsync(cancellationToken);
        return _clients.GetValueOrDefault(clientId)?.Keys.FirstOrDefault(k => k.Algorithm == algorithm);
    }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        _clients.Clear();
        foreach (var client in await store.ListAsync<KnownClientKeys>(Kind, cancellationToken)) _clients[client.ClientId] = client;
    }
}

/// <summary>The keys bound to one client, as the aggregation stores them.</summary>
public sealed record KnownClientKeys(string ClientId, ClientKey[] Keys);
