using FlMicroservices.Contracts.V1;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Node;

/// <summary>Registers every hosted client with the registry at start, then keeps them alive with heartbeats that carry their capabilities.</summary>
/// <remarks>A heartbeat the registry cannot place (its store lost the client) registers the client again, so membership heals itself after a
/// Redis loss or a heartbeat gap. A publish that fails (broker down) is logged and tried again at the next tick: the node never stops for it.</remarks>
public sealed class NodeMembershipService(HostedClients clients, ClientIdentities identities, IBus bus, CpuLoadMeter cpu, TimeProvider clock,
    IOptions<NodeOptions> options, ILogger<NodeMembershipService> logger) : BackgroundService
{
    public static readonly string[] Models = ["logreg", "mlp", "cnn"];

    /// <summary>Names this process in batched heartbeats (for the registry's log).</summary>
    private static readonly string Sender = $"{Environment.MachineName}/{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.HeartbeatInterval ?? NodeOptions.HeartbeatIntervalFor(clients.All.Count);
        var load = cpu.Sample();
        foreach (var client in clients.All)
        {
            // A failure leaves the rest to the heartbeats, which register every client the registry does not know.
            if (!await TryPublishAsync(new RegisterClient(client.ClientId, Capabilities(client, load), identities.PublicKeysOf(client.ClientId)), client.ClientId, interval, stoppingToken)) break;
        }
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                load = cpu.Sample();
                var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
                ClientHeartbeat Beat(HostedClient client) => new(client.ClientId, load, memory, clock.GetUtcNow(), Capabilities(client, load),
                    identities.PublicKeysOf(client.ClientId));
                var batch = options.Value.HeartbeatBatch;
                if (batch > 0 && clients.All.Count > batch)
                {
                    foreach (var chunk in clients.All.Chunk(batch))
                    {
                        var beats = new ClientHeartbeats(Sender, load, memory, clock.GetUtcNow(),
                            [.. chunk.Select(c => new HostedClientBeat(c.ClientId, Capabilities(c, load), identities.PublicKeysOf(c.ClientId)))]);
                        if (!await TryPublishAsync(beats, chunk[0].ClientId, interval, stoppingToken)) break;
                    }
                    continue;
                }
                foreach (var client in clients.All)
                    if (!await TryPublishAsync(Beat(client), client.ClientId, interval, stoppingToken)) break; // the broker is down: wait for the next tick
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    /// <summary>What a hosted client declares: its data set (name, sample shape, classes, examples), this host's cores, memory and CPU load.</summary>
    public static ClientCapabilities Capabilities(HostedClient client, double cpuLoad) => new(
        client.Data.Count, Environment.ProcessorCount, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, Models,
        [new ClientDataset(client.DatasetName, client.Data.Shape, client.Data.ClassCount, client.Data.Count)], cpuLoad);

    private async Task<bool> TryPublishAsync<T>(T message, string clientId, TimeSpan timeout, CancellationToken stoppingToken) where T : class
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        attempt.CancelAfter(timeout);
        try
        {
            await bus.Publish(message, attempt.Token);
            return true;
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning("{Message} for client {ClientId} not published ({Error}); trying again in {Interval}", typeof(T).Name, clientId, e.Message, timeout);
            return false;
        }
    }
}
