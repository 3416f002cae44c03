using FlMicroservices.Contracts.V1;
using FlMicroservices.Node;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Simulation.Attacks;

/// <summary>Simulated Byzantine clients: each attacker's update is poisoned by its attack before the honest uplink sends it.</summary>
public sealed class AttackingUplink(IUpdateUplink inner, IReadOnlyDictionary<string, AttackSpec> attacks) : IUpdateUplink
{
    /// <summary>Registers the decorator around the node's <see cref="UpdateUplink"/> (call before the node is added).</summary>
    public static void Register(IServiceCollection services, IReadOnlyDictionary<string, AttackSpec> attacks) =>
        services.AddSingleton<IUpdateUplink>(sp => new AttackingUplink(sp.GetRequiredService<UpdateUplink>(), attacks));

    public Task SendAsync(RoundStarted round, string clientId, float[] delta, int exampleCount, LocalMetrics metrics,
        IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        if (attacks.TryGetValue(clientId, out var attack))
            attack.ApplyToUpdate(delta, new Random(ClientSeeds.For(round.Seed, round.Round, clientId + "/attack")));
        return inner.SendAsync(round, clientId, delta, exampleCount, metrics, publish, cancellationToken);
    }
}
