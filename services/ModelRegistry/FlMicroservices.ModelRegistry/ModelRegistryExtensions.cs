using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.ModelRegistry.Consumers;
using FlMicroservices.ModelRegistry.Validation;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.ModelRegistry;

/// <summary>Registration of the model registry's logic and consumers.</summary>
public static class ModelRegistryExtensions
{
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">Binds the "Validation" section (the validation data root); null keeps the defaults (generated data only).</param>
    public static IServiceCollection AddModelRegistryService(this IServiceCollection services, IConfiguration? configuration = null)
    {
        services.TryAddSingleton(_ => CommandSigning.Off()); // AddFlMessaging puts the deployment's in its place
        services.TryAddSingleton<IValidationSetProvider>(new FixedValidationSets(new Dictionary<string, Core.Data.InMemoryDataset>()));
        if (configuration is null) services.AddOptions<ValidationDataOptions>();
        else services.AddValidatedOptions<ValidationDataOptions>(configuration, ValidationDataOptions.Section);
        services.AddSingleton<ValidationDataLoader>();
        services.AddSingleton<ValidationSets>();
        services.AddFlState("model-registry", configuration, (_, store) => new TaskModels(new TaskModelsStore(store)));
        services.AddSingleton<ModelPublisher>();
        services.AddSingleton<ModelPromotion>();
        return services;
    }

    public static IBusRegistrationConfigurator AddModelRegistryConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<TaskCreatedConsumer>();
        bus.AddConsumer<RoundAggregatedConsumer>();
        return bus;
    }
}
