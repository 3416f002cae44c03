using FlMicroservices.Core.Data;
using FlMicroservices.Node;
using FlMicroservices.Simulation.Attacks;
using FlMicroservices.Training;

namespace FlMicroservices.Simulation;

/// <summary>Turns a simulation's client data sets into hosted clients, some of them attackers when asked.</summary>
public static class VirtualClients
{
    /// <summary>One hosted client per data set; a label-flipping attacker holds its data with flipped labels.</summary>
    public static HostedClient[] Create(FederatedData data, SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        var attacks = Attacks(data, options);
        var name = DatasetSpec.TryParse(options.Dataset, out var spec, out _) ? spec!.Kind : HostedClient.UnnamedDataset;
        return data.ClientTrain.Select((d, i) =>
        {
            var id = Id(i);
            var local = attacks.TryGetValue(id, out var attack) && attack.Kind == AttackKind.LabelFlip
                ? d.Select(held => held.WithLabels(AttackSpec.FlipLabels(held.Labels, held.ClassCount)))
                : d;
            return new HostedClient(id, local, name);
        }).ToArray();
    }

    /// <summary>The attack of each attacking client, by client id: a seeded random share of the clients (none without an attack).</summary>
    public static IReadOnlyDictionary<string, AttackSpec> Attacks(FederatedData data, SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var attacks = new Dictionary<string, AttackSpec>(StringComparer.Ordinal);
        if (options.Attack is null) return attacks;
        var attack = AttackSpec.Parse(options.Attack);
        var count = data.ClientTrain.Count;
        var attackerCount = (int)Math.Round(options.Attackers * count, MidpointRounding.AwayFromZero);
        // Attackers are a seeded random subset, so they are not always the first clients (which shards would bias).
        var order = Enumerable.Range(0, count).ToArray();
        new Random(unchecked(options.Seed * 31 + 17)).Shuffle(order);
        foreach (var i in order.Take(attackerCount)) attacks[Id(i)] = attack;
        return attacks;
    }

    private static string Id(int index) => $"client-{index:D4}";
}
