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
            .WithSummary("Admitted clients with capabilities, data sets, last heartbeat, health and participation (rounds selected, contributed, dropped, rejected, the last rejection's reason); filter by healthy, dataset, model, rejected; sort by id, admitted, heartbeat (last heartbeat; never seen counts as oldest), examples, cores, memory, selected, contributed, dropped or rejected; paged on the server.");
        return read;
    }

    /// <summary>The orders GET /api/clients accepts (capabilities as admitted; of a heartbeat's figures only its time is sorted on).</summary>
    public static readonly string[] Sorts = ["id", "admitted", "heartbeat", "examples", "cores", "memory", "selected", "contributed", "dropped", "rejected"];

    // Filters and sorts on the catalog and one query for the healthy ids, then reads the health records of one page only, so that
    // a page of 100,000 registered clients costs as much as a page of 100.
    private static async Task<Results<Ok<Page<ClientView>>, ProblemHttpResult>> ListAsync(TaskCatalog catalog, ParticipationLedger participation,
        IClientHealthStore health, TimeProvider clock, CancellationToken cancellationToken, bool? healthy = null, string? dataset = null, string? model = null,
        int healthyWithinSeconds = 120, string sort = "id", bool descending = false, int offset = 0, int limit = 100, bool? rejected = null)
    {
        if (ApiProblems.BadPage(offset, limit) is { } bad) return bad;
        if (dataset is not null && ApiProblems.BadId("dataset", dataset) is { } badDataset) return badDataset;
        if (model is not null && ApiProblems.BadId("model", model) is { } badModel) return badModel;
        if (healthyWithinSeconds is < 1 or > 86_400)
            return ApiProblems.Problem(400, "healthyWithinSeconds", $"healthyWithinSeconds {healthyWithinSeconds} must be in [1, 86400]");
        if (!Sorts.Contains(sort)) return ApiProblems.Problem(400, "sort", $"sort '{sort}' is not one of {string.Join(", ", Sorts)}");
        var within = TimeSpan.FromSeconds(healthyWithinSeconds);
        IEnumerable<AdmittedClient> matching = catalog.Clients
            .Where(c => dataset is null || (c.Capabilities.Datasets ?? []).Any(d => d.Name == dataset))
            .Where(c => model is null || (c.Capabilities.Models ?? []).Contains(model))
            .Where(c => rejected is not { } wantRejected || participation.Of(c.ClientId).Rejected > 0 == wantRejected);
        if (healthy is { } wanted)
        {
            var healthyIds = (await health.GetHealthyAsync(within, cancellationToken)).ToHashSet(StringComparer.Ordinal);
            matching = matching.Where(c => healthyIds.Contains(c.ClientId) == wanted);
        }
        // Sorting by heartbeat reads every client's last heartbeat from one index (one round trip), not their records.
        var seen = sort == "heartbeat" ? await health.GetLastSeenAsync(cancellationToken) : null;
        var ordered = Order(matching.ToArray(), sort, descending, participation, seen);
        var page = ordered.Skip(offset).Take(limit).ToArray();
        var records = (await health.GetManyAsync([.. page.Select(c => c.ClientId)], cancellationToken)).ToDictionary(r => r.ClientId, StringComparer.Ordinal);
        var since = clock.GetUtcNow() - within;
        return TypedResults.Ok(new Page<ClientView>(ordered.Count, offset, limit,
            [.. page.Select(c => View(c, records.GetValueOrDefault(c.ClientId), since, participation.Of(c.ClientId)))]));
    }

    // The catalog lists clients in id order; every other order breaks its ties by id.
    private static IReadOnlyCollection<AdmittedClient> Order(AdmittedClient[] clients, string sort, bool descending, ParticipationLedger participation,
        IReadOnlyDictionary<string, DateTimeOffset>? seen)
    {
        if (sort == "id") return descending ? [.. clients.Reverse()] : clients;
        Func<AdmittedClient, long> key = sort switch
        {
            "admitted" => c => c.AdmittedAt.UtcTicks,
            "heartbeat" => c => seen!.TryGetValue(c.ClientId, out var at) ? at.UtcTicks : long.MinValue, // no record: never seen, the oldest
            "examples" => c => c.Capabilities.ExampleCount,
            "cores" => c => c.Capabilities.CpuCores,
            "memory" => c => c.Capabilities.MemoryBytes,
            "selected" => c => participation.Of(c.ClientId).Selected,
            "contributed" => c => participation.Of(c.ClientId).Contributed,
            "dropped" => c => participation.Of(c.ClientId).Dropped,
            _ => c => participation.Of(c.ClientId).Rejected,
        };
        var ordered = descending ? clients.OrderByDescending(key) : clients.OrderBy(key);
        return [.. ordered.ThenBy(c => c.ClientId, StringComparer.Ordinal)];
    }

    private static ClientView View(AdmittedClient client, ClientHealth? record, DateTimeOffset healthySince, ClientParticipation taking)
    {
        var capabilities = client.Capabilities;
        var healthy = record is { Status: ClientStatus.Healthy } && record.LastSeen >= healthySince;
        return new ClientView(client.ClientId, healthy, record?.Status.ToString() ?? "Unknown", record?.LastSeen, client.AdmittedAt,
            record?.ExampleCount ?? capabilities.ExampleCount, capabilities.CpuCores, capabilities.MemoryBytes, record?.CpuLoad, record?.FreeMemoryBytes,
            capabilities.Models ?? [], record?.Datasets ?? capabilities.Datasets ?? (IReadOnlyList<ClientDataset>)[],
            taking.Selected, taking.Contributed, taking.Dropped, taking.Rejected, taking.LastRejection, taking.LastRejectedWhere, taking.LastRejectedAt);
    }
}

/// <summary>A client as the registry knows it: capabilities from its admission, health from its last heartbeat (null fields: no health record), participation from finished rounds.</summary>
public sealed record ClientView(string ClientId, bool Healthy, string Status, DateTimeOffset? LastSeen, DateTimeOffset AdmittedAt, int ExampleCount,
    int CpuCores, long MemoryBytes, double? CpuLoad, long? FreeMemoryBytes, string[] Models, IReadOnlyList<ClientDataset> Datasets,
    int Selected = 0, int Contributed = 0, int Dropped = 0, int Rejected = 0, string? LastRejection = null, string? LastRejectedWhere = null,
    DateTimeOffset? LastRejectedAt = null);
