using FlMicroservices.Infrastructure.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>The audit log of operators' calls for a process that takes them; <see cref="OperatorAuthExtensions.UseFlOperatorAuth"/> records into it.</summary>
public static class OperatorAudit
{
    /// <summary>Records this process's operator calls in the audit log, in the state store <see cref="AuditLog.Store"/> (docs/operator-api.md).</summary>
    public static IServiceCollection AddOperatorAuditLog(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new AuditLog(sp.GetRequiredService<IStateStoreFactory>().Open(AuditLog.Store)));
        return services;
    }
}
