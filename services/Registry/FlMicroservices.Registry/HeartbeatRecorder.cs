using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Registry;

/// <summary>
/// Refreshes a registered client's health; a client the health store lost is admitted again with the capabilities its heartbeat
/// carries, else those it was admitted with (the registry's catalog); a client never admitted is refused.
/// </summary>
public sealed class HeartbeatRecorder(IClientHealthStore health, ClientAdmission admission, TaskCatalog catalog, TimeProvider clock,
    ILogger<HeartbeatRecorder> logger)
{
    public async Task RecordAsync(ClientHeartbeat beat, ConsumeContext context, CancellationToken cancellationToken)
    {
        if (beat is null || string.IsNullOrEmpty(beat.ClientId))
        {
            logger.LogWarning("A heartbeat without a client id ignored");
            return;
        }
        if (!double.IsFinite(beat.CpuLoad)) // only a hand-made message carries one (1e999 reads as infinity): recorded, and taken as 0
            logger.LogWarning("Heartbeat from {ClientId} carries cpuLoad {CpuLoad}, not a finite number: taken as 0", beat.ClientId, beat.CpuLoad);
        var known = await health.GetAsync(beat.ClientId, cancellationToken);
        if (known is null || known.Status == ClientStatus.Removed)
        {
            if ((beat.Capabilities ?? catalog.FindClient(beat.ClientId)?.Capabilities) is { } capabilities && known is null)
            {
                // The store lost the client (a Redis restart, or silence past the record's TTL): the heartbeat re-registers it.
                logger.LogInformation("Heartbeat from unknown client {ClientId}: registering it again", beat.ClientId);
                await admission.AdmitAsync(beat.ClientId, capabilities, ValidLoad(beat.CpuLoad), context, cancellationToken, beat.Keys);
                return;
            }
            logger.LogWarning("Heartbeat from unregistered client {ClientId} ignored", beat.ClientId);
            await context.Publish(new ClientRejected(beat.ClientId, "heartbeat from a client that is not registered", clock.GetUtcNow()));
            return;
        }
        var now = clock.GetUtcNow();
        var demoted = known.DemotedUntil > now; // a client demoted for missing rounds stays unhealthy until its period ends
        await health.UpsertAsync(known with
        {
            Status = demoted ? ClientStatus.Unhealthy : ClientStatus.Healthy,
            DemotedUntil = demoted ? known.DemotedUntil : null,
            LastSeen = now,
            CpuLoad = ValidLoad(beat.CpuLoad),
            FreeMemoryBytes = beat.FreeMemoryBytes,
        }, cancellationToken);
    }

    private static double ValidLoad(double load) => double.IsFinite(load) && load >= 0 ? load : 0;
}
