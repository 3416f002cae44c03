using FlMicroservices.Core.Data;

namespace FlMicroservices.Node;

/// <summary>A client this node process trains for: its id, its local data (which never leaves the node) and the data set name it advertises.</summary>
/// <param name="Data">Held in memory, or generated each time the client trains (many virtual clients).</param>
/// <param name="DatasetName">What the client advertises (e.g. "mnist"), so that the selector offers it only tasks on that data.</param>
public sealed record HostedClient(string ClientId, ClientData Data, string DatasetName = HostedClient.UnnamedDataset)
{
    /// <summary>The name advertised for data whose origin was not named.</summary>
    public const string UnnamedDataset = "unnamed";
}

/// <summary>The clients hosted by this node process (one real client, or many virtual ones).</summary>
public sealed class HostedClients
{
    private readonly Dictionary<string, HostedClient> _clients;

    public HostedClients(IEnumerable<HostedClient> clients)
    {
        ArgumentNullException.ThrowIfNull(clients);
        _clients = new Dictionary<string, HostedClient>(StringComparer.Ordinal);
        foreach (var client in clients)
        {
            if (!_clients.TryAdd(client.ClientId, client))
                throw new ArgumentException($"Client id '{client.ClientId}' is hosted twice.", nameof(clients));
        }
    }

    public IReadOnlyCollection<HostedClient> All => _clients.Values;

    public HostedClient? Find(string clientId) => _clients.GetValueOrDefault(clientId);
}
