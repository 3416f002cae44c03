using FlMicroservices.Core.Attacks;
using FlMicroservices.Core.Data;
using FlMicroservices.Node;

namespace FlMicroservices.Simulation;

/// <summary>Turns a simulation's client data sets into hosted clients, some of them attackers when asked.</summary>
public static class VirtualClients
{
    public static HostedClient[] Create(FederatedData data, SimulationOptions options)
    {
        var attack = options.Attack is null ? null : AttackSpec.Parse(options.Attack);
        var count = data.ClientTrain.Count;
        var attackerCount = attack is null ? 0 : (int)Math.Round(options.Attackers * count, MidpointRounding.AwayFromZero);
        // Attackers are a seeded random subset, so they are not always the first clients (which shards would bias).
        var order = Enumerable.Range(0, count).ToArray();
        new Random(unchecked(options.Seed * 31 + 17)).Shuffle(order);
        var attackers = order.Take(attackerCount).ToHashSet();
        var name = DatasetSpec.TryParse(options.Dataset, out var spec, out _) ? spec!.Kind : HostedClient.UnnamedDataset;
        return data.ClientTrain.Select((d, i) =>
        {
            if (!attackers.Contains(i)) return new HostedClient($"client-{i:D4}", d, DatasetName: name);
            var local = attack!.Kind == AttackKind.LabelFlip
                ? new InMemoryDataset(d.Features, AttackSpec.FlipLabels(d.Labels, d.ClassCount), d.Shape, d.ClassCount)
                : d;
            return new HostedClient($"client-{i:D4}", local, attack, name);
        }).ToArray();
    }
}
