using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.ServiceDefaults.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlMicroservices.Registry.Host;

/// <summary>GET /api/clients: the admitted clients with their capabilities and health, filtered and paged (docs/operator-api.md).</summary>
public static class ClientEndpoints
{
    /// <summary>A client is healthy when its status is Healthy and its last heartbeat is this recent (the selector's default Selector:HealthyWithin).</summary>
    public static readonly TimeSpan DefaultHealthyWithin = TimeSpan.FromMinutes(2);

    public static RouteGroupBuilder MapClients(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api/clients").WithTags("Clients");
        read.MapGet("/", ListAsync).WithName("ListClients")
            .WithSummary("Admitted clients with capabilities, data sets, last heartbeat and health; filter by healthy, dataset, model.");
        return read;
    }

    private static async Task<Results<Ok<Page<ClientView>>, ProblemHttpResult>> ListAsync(TaskCatalog catalog, IClientHealthStore health, TimeProvider clock,
        CancellationToken cancellationToken, bool? healthy = null, string? dataset = null, string? model = null, int healthyWithinSeconds = 120,
        int offset = 0, int limit = 100)
    {
        if (ApiProblems.BadPage(offset, limit) is { } bad) return bad;
        if (dataset is not null && ApiProblems.BadId("dataset", dataset) is { } badDataset) return badDataset;
        if (model is not null && ApiProblems.BadId("model", model) is { } badModel) return badModel;
        if (healthyWithinSeconds is < 1 or > 86_400)
            return ApiProblems.Problem(400, "healthyWithinSeconds", $"healthyWithinSeconds {healthyWithinSeconds} must be in [1, 86400]");
        var clients = catalog.Clients;
        var records = (await health.GetManyAsync([.. clients.Select(c => c.ClientId)], cancellationToken)).ToDictionary(r => r.ClientId, StringComparer.Ordinal);
        var since = clock.GetUtcNow() - TimeSpan.FromSeconds(healthyWithinSeconds);
        var views = clients.Select(c => View(c, records.GetValueOrDefault(c.ClientId), since))
            .Where(v => healthy is null || v.Healthy == healthy)
            .Where(v => dataset is null || v.Datasets.Any(d => d.Name == dataset))
            .Where(v => model is null || v.Models.Contains(model))
            .ToArray();
        return TypedResults.Ok(Page<ClientView>.Of(views, offset, limit));
    }

    private static ClientView View(AdmittedClient client, ClientHealth? record, DateTimeOffset healthySince)
    {
        var capabilities = client.Capabilities;
        var healthy = record is { Status: ClientStatus.Healthy } && record.LastSeen >= healthySince;
        return new ClientView(client.ClientId, healthy, record?.Status.ToString() ?? "Unknown", record?.LastSeen, client.AdmittedAt,
            record?.ExampleCount ?? capabilities.ExampleCount, capabilities.CpuCores, capabilities.MemoryBytes, record?.CpuLoad, record?.FreeMemoryBytes,
            capabilities.Models ?? [], record?.Datasets ?? capabilities.Datasets ?? (IReadOnlyList<ClientDataset>)[]);
    }
}

/// <summary>A client as the registry knows it: capabilities from its admission, health from its last heartbeat (null fields: no health record).</summary>
public sealed record ClientView(string ClientId, bool Healthy, string Status, DateTimeOffset? LastSeen, DateTimeOffset AdmittedAt, int ExampleCount,
    int CpuCores, long MemoryBytes, double? CpuLoad, long? FreeMemoryBytes, string[] Models, IReadOnlyList<ClientDataset> Datasets);
