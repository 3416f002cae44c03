using FlMicroservices.Infrastructure.Stores;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlMicroservices.ServiceDefaults;

/// <summary>Ready while every external store (Redis, MongoDB) the process uses answers; healthy when it uses none.</summary>
public sealed class StoreProbesHealthCheck(IEnumerable<StoreProbe> probes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var down = new List<string>();
        var all = probes.ToList();
        foreach (var probe in all)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            if (!await probe.IsReadyAsync(timeout.Token)) down.Add(probe.Name);
        }
        if (down.Count > 0) return HealthCheckResult.Unhealthy($"not answering: {string.Join(", ", down)}");
        return HealthCheckResult.Healthy(all.Count == 0 ? "embedded stores" : $"answering: {string.Join(", ", all.Select(p => p.Name))}");
    }
}
