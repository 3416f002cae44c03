using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Registry.Consumers;

/// <summary>Refreshes a registered client's health; a heartbeat from an unknown client is refused, not stored.</summary>
public sealed class ClientHeartbeatConsumer(IClientHealthStore health, TimeProvider clock, ILogger<ClientHeartbeatConsumer> logger) : IConsumer<ClientHeartbeat>
{
    public async Task Consume(ConsumeContext<ClientHeartbeat> context)
    {
        var beat = context.Message;
        var known = await health.GetAsync(beat.ClientId, context.CancellationToken);
        if (known is null || known.Status == ClientStatus.Removed)
        {
            logger.LogWarning("Heartbeat from unregistered client {ClientId} ignored", beat.ClientId);
            await context.Publish(new ClientRejected(beat.ClientId, "heartbeat from a client that is not registered", clock.GetUtcNow()));
            return;
        }
        await health.UpsertAsync(known with
        {
            Status = ClientStatus.Healthy,
            LastSeen = clock.GetUtcNow(),
            CpuLoad = beat.CpuLoad,
            FreeMemoryBytes = beat.FreeMemoryBytes,
        }, context.CancellationToken);
    }
}
