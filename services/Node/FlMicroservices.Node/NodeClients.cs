using FlMicroservices.Training;

namespace FlMicroservices.Node;

/// <summary>The clients a node process hosts, with their share of the data set, and a line describing them.</summary>
public sealed record NodeClients(IReadOnlyList<HostedClient> Clients, string Description)
{
    /// <summary>Generates or reads the data set, splits it over every node's clients and keeps this node's share.</summary>
    /// <exception cref="ArgumentException">A setting the data set or its split rejects; the message names it.</exception>
    /// <exception cref="InvalidDataException">MNIST files that are missing or malformed; the message names them.</exception>
    public static NodeClients Load(NodeClientsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var data = FederatedData.Load(options.Dataset, options.DataDir, options.Partition, options.Clients * options.Of, options.Seed);
        var name = options.AdvertisedDataset;
        var clients = data.ClientTrain.Skip(options.Part * options.Clients).Take(options.Clients)
            .Select((d, i) => new HostedClient($"{options.Id}-c{i:D3}", d, name)).ToArray();
        return new NodeClients(clients,
            $"{clients.Length} clients, {clients.Sum(c => c.Data.Count)} samples ({data.Description}; part {options.Part} of {options.Of})");
    }
}
