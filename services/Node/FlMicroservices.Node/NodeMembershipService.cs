using FlMicroservices.Contracts.V1;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Node;

/// <summary>Registers every hosted client with the registry at start, then keeps them alive with heartbeats.</summary>
public sealed class NodeMembershipService(HostedClients clients, IBus bus, TimeProvider clock, IOptions<NodeOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var cores = Environment.ProcessorCount;
        foreach (var client in clients.All)
        {
            var capabilities = new ClientCapabilities(client.Data.Count, cores, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, ["logreg", "mlp", "cnn"]);
            await bus.Publish(new RegisterClient(client.ClientId, capabilities), stoppingToken);
        }
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var client in clients.All)
                    await bus.Publish(new ClientHeartbeat(client.ClientId, 0, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, clock.GetUtcNow()), stoppingToken);
            }
        }
        catch (OperationCanceledException) { }
    }
}
