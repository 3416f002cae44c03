using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlMicroservices.Infrastructure.State;

/// <summary>Ready once every state of the process is restored; not ready while one is being restored or failed to.</summary>
public sealed class StateHealthCheck(IEnumerable<RestoredState> states) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var all = states.ToArray();
        var pending = all.Where(s => !s.IsRestored).Select(s => s.Failure is { } failure ? $"{s.Name} (failed: {failure})" : s.Name).ToArray();
        return Task.FromResult(pending.Length == 0
            ? HealthCheckResult.Healthy($"restored: {string.Join(", ", all.Select(s => s.Name))}")
            : HealthCheckResult.Unhealthy($"restoring: {string.Join(", ", pending)}"));
    }
}
