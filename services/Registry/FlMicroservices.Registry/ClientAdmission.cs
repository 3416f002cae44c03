using FlMicroservices.Contracts;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Registry;

/// <summary>Admits a client (a registration, or a heartbeat from a client the store has lost): checks it, records it healthy, announces it.</summary>
public sealed class ClientAdmission(IClientHealthStore health, TaskCatalog catalog, CommandSigning signing, TimeProvider clock, ILogger<ClientAdmission> logger)
{
    /// <summary>Most data sets one client may advertise.</summary>
    public const int MaxDatasets = 64;

    /// <param name="keys">The client's public signing keys; the first of each algorithm is bound to the id (trust on first use, docs/signing.md).</param>
    public async Task AdmitAsync(string clientId, ClientCapabilities? capabilities, double cpuLoad, IPublishEndpoint publish, CancellationToken cancellationToken,
        IReadOnlyList<ClientKey>? keys = null)
    {
        var now = clock.GetUtcNow();
        var problem = Problem(clientId, capabilities) ?? ClientKeyBinding.Problem(keys);
        var bound = problem is null ? await catalog.RecordClientAsync(clientId, capabilities!, keys, now, cancellationToken) : default;
        if ((problem ?? bound.Refusal) is { } refusal)
        {
            logger.LogWarning("Client {ClientId} rejected: {Reason}", clientId, refusal);
            await publish.Publish(new ClientRejected(clientId, refusal, now), cancellationToken);
            return;
        }
        // Registering again does not clear a demotion for missed rounds, nor the count towards one.
        var known = await health.GetAsync(clientId, cancellationToken);
        var demoted = known?.DemotedUntil > now;
        await health.UpsertAsync(new ClientHealth(clientId, demoted ? ClientStatus.Unhealthy : ClientStatus.Healthy, now, capabilities!.ExampleCount, cpuLoad,
            capabilities.MemoryBytes, capabilities.Datasets, known?.MissedRounds ?? 0, demoted ? known!.DemotedUntil : null, known?.LastMissedRound), cancellationToken);
        // Signed (in deployments with per-process broker accounts): the aggregation takes the client's keys from it.
        await publish.Publish(signing.Sign(new ClientRegistered(clientId, capabilities, now, bound.Keys)), cancellationToken);
    }

    /// <summary>What is wrong with a registration, naming the field; null when it is acceptable.</summary>
    public static string? Problem(string clientId, ClientCapabilities? capabilities)
    {
        if (!Identifiers.IsValid(clientId)) return $"ClientId '{clientId}' is not valid: {Identifiers.Rule}";
        if (capabilities is null) return "Capabilities are missing";
        if (capabilities.ExampleCount < 0) return $"Capabilities.ExampleCount {capabilities.ExampleCount} is negative";
        if (!(capabilities.CpuLoad >= 0) || !double.IsFinite(capabilities.CpuLoad)) return $"Capabilities.CpuLoad {capabilities.CpuLoad} must be a finite number >= 0";
        if (capabilities.Datasets is not { } datasets) return null;
        if (datasets.Length > MaxDatasets) return $"Capabilities.Datasets lists {datasets.Length} data sets, at most {MaxDatasets} are accepted";
        foreach (var d in datasets)
        {
            if (d is null || !Identifiers.IsValid(d.Name)) return $"Capabilities.Datasets name '{d?.Name}' is not valid: {Identifiers.Rule}";
            if (d.SampleShape is null || d.SampleShape.Length is 0 or > 8 || d.SampleShape.Any(x => x <= 0))
                return $"Capabilities.Datasets '{d.Name}' SampleShape must list 1 to 8 positive dimensions";
            if (d.ClassCount < 2) return $"Capabilities.Datasets '{d.Name}' ClassCount {d.ClassCount} must be at least 2";
            if (d.ExampleCount < 0) return $"Capabilities.Datasets '{d.Name}' ExampleCount {d.ExampleCount} is negative";
        }
        return null;
    }
}
