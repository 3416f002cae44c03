using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace FlMicroservices.Infrastructure.State;

/// <summary>Registers a service's durable state: its store (keyed by the service's name), the state over it, its restore and readiness.</summary>
public static class StateExtensions
{
    /// <summary>The readiness entry that stays unhealthy while the state is being restored.</summary>
    public const string HealthCheckName = "state";

    /// <summary>
    /// Registers <typeparamref name="TState"/>, built by <paramref name="create"/> over the store of <paramref name="service"/>:
    /// the backend named by Storage:State (a SQLite file under the data root by default), or memory when
    /// <paramref name="configuration"/> is null (in-process compositions in tests).
    /// </summary>
    public static IServiceCollection AddFlState<TState>(this IServiceCollection services, string service, IConfiguration? configuration,
        Func<IServiceProvider, IStateStore, TState> create) where TState : RestoredState
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentNullException.ThrowIfNull(create);
        if (configuration is null)
            services.TryAddKeyedSingleton<IStateStore>(service, (_, _) => new InMemoryStateStore());
        else
        {
            services.TryAddSingleton(DefaultFactory(configuration));
            services.TryAddKeyedSingleton(service, (sp, _) => sp.GetRequiredService<IStateStoreFactory>().Open(service));
        }
        services.AddSingleton(sp => create(sp, sp.GetRequiredKeyedService<IStateStore>(service)));
        services.AddSingleton<RestoredState>(sp => sp.GetRequiredService<TState>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StateRestoration>());
        if (!services.Any(d => d.ServiceType == typeof(StateHealthCheck)))
        {
            services.AddSingleton<StateHealthCheck>();
            services.AddHealthChecks().Add(new HealthCheckRegistration(HealthCheckName, sp => sp.GetRequiredService<StateHealthCheck>(), HealthStatus.Unhealthy, ["ready"]));
        }
        return services;
    }

    /// <summary>The embedded backend named by Storage:State (Sqlite or InMemory), with its folder Storage:StateRoot under the data root.</summary>
    public static IStateStoreFactory DefaultFactory(IConfiguration configuration)
    {
        var storage = new StorageOptions();
        configuration.GetSection(StorageOptions.Section).Bind(storage);
        OptionsValidation.ThrowIfInvalid(storage, StorageOptions.Section);
        var inMemory = storage.State == "InMemory";
        return new EmbeddedStateStores(inMemory ? "" : DataRoot.Resolve(configuration, storage.StateRoot)!, inMemory);
    }
}
