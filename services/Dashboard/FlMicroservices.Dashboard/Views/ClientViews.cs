using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Dashboard.Views;

/// <summary>A registered client with its capabilities, health and participation (GET /api/clients).</summary>
public sealed record ClientView(string ClientId, bool Healthy, string Status, DateTimeOffset? LastSeen, DateTimeOffset AdmittedAt, int ExampleCount,
    int CpuCores, long MemoryBytes, double? CpuLoad, long? FreeMemoryBytes, string[] Models, ClientDataset[] Datasets,
    int Selected = 0, int Contributed = 0, int Dropped = 0, int Rejected = 0, string? LastRejection = null, string? LastRejectedWhere = null,
    DateTimeOffset? LastRejectedAt = null);
