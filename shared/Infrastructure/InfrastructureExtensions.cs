using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.Infrastructure;

/// <summary>Registers the stores and the update stream; only this composition step knows which implementations are used.</summary>
public static class InfrastructureExtensions
{
    /// <summary>The embedded adapters: in-process update stream, in-memory health store, file model store.</summary>
    public static IServiceCollection AddFlInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        var storage = new StorageOptions();
        configuration.GetSection(StorageOptions.Section).Bind(storage);
        OptionsValidation.ThrowIfInvalid(storage, StorageOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IClientHealthStore, InMemoryClientHealthStore>();
        services.TryAddSingleton<IModelStore>(_ => new FileModelStore(storage.ModelStoreRoot));
        services.TryAddSingleton(_ => new InProcessUpdateStream(storage.UpdateStreamPartitions));
        services.TryAddSingleton<IUpdateStreamProducer>(sp => sp.GetRequiredService<InProcessUpdateStream>());
        services.TryAddSingleton<IUpdateStreamConsumerFactory>(sp => sp.GetRequiredService<InProcessUpdateStream>());
        return services;
    }
}
