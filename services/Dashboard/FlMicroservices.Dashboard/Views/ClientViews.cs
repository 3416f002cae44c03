using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Dashboard.Views;

/// <summary>A registered client with its capabilities and health (GET /api/clients).</summary>
public sealed record ClientView(string ClientId, bool Healthy, string Status, DateTimeOffset? LastSeen, DateTimeOffset AdmittedAt, int ExampleCount,
    int CpuCores, long MemoryBytes, double? CpuLoad, long? FreeMemoryBytes, string[] Models, ClientDataset[] Datasets);
