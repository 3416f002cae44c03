using FlMicroservices.Infrastructure.Resilience;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Infrastructure.Models;

/// <summary>Where a process reads model versions: the model registry over HTTP when its URL is set, else the model store.</summary>
public static class ModelSourceExtensions
{
    /// <summary>Registers <see cref="IModelVersionReader"/>: a <see cref="ModelRegistryClient"/> on <paramref name="registry"/> (retried per Resilience), or the model store.</summary>
    public static IServiceCollection AddModelSource(this IServiceCollection services, IConfiguration configuration, Uri? registry)
    {
        if (registry is null)
        {
            services.TryAddSingleton<IModelVersionReader>(sp => sp.GetRequiredService<IModelStore>());
            return services;
        }
        var resilience = services.AddValidatedOptions<ResilienceOptions>(configuration, ResilienceOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IModelVersionReader>(sp => new ModelRegistryClient(
            new HttpClient { BaseAddress = registry, Timeout = Timeout.InfiniteTimeSpan }, // the pipeline times each attempt
            ExternalCallResilience.Create("model-registry", resilience, ModelRegistryClient.IsTransient, sp.GetRequiredService<TimeProvider>()),
            sp.GetRequiredService<ILogger<ModelRegistryClient>>()));
        return services;
    }
}
