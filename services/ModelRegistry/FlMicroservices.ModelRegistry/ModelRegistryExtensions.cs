using FlMicroservices.ModelRegistry.Consumers;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.ModelRegistry;

/// <summary>Registration of the model registry's logic and consumers.</summary>
public static class ModelRegistryExtensions
{
    public static IServiceCollection AddModelRegistryService(this IServiceCollection services)
    {
        services.TryAddSingleton<IValidationSetProvider>(new FixedValidationSets(new Dictionary<string, Core.Data.InMemoryDataset>()));
        services.AddSingleton<TaskModels>();
        services.AddSingleton<ModelPublisher>();
        return services;
    }

    public static IBusRegistrationConfigurator AddModelRegistryConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<TaskCreatedConsumer>();
        bus.AddConsumer<RoundAggregatedConsumer>();
        return bus;
    }
}
