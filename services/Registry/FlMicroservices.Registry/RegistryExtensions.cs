using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Registry.Consumers;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.Registry;

/// <summary>Registration of the registry service's logic and consumers.</summary>
public static class RegistryExtensions
{
    /// <summary>Registers the registry's logic; its caps on tasks come from the "Registry" section (defaults without one), its
    /// catalog from the registry's state store (Storage:State; in memory without a configuration).</summary>
    public static IServiceCollection AddRegistryService(this IServiceCollection services, IConfiguration? configuration = null)
    {
        services.TryAddSingleton(_ => CommandSigning.Off()); // AddFlMessaging puts the deployment's in its place
        if (configuration is null) services.AddOptions<TaskLimits>();
        else services.AddValidatedOptions<TaskLimits>(configuration, TaskLimits.Section);
        if (configuration is null) services.AddOptions<DemotionOptions>();
        else services.AddValidatedOptions<DemotionOptions>(configuration, DemotionOptions.Section);
        services.AddSingleton<ParticipationRecord>();
        services.AddFlState("registry", configuration, (_, store) => new TaskCatalog(new RegistryStore(store)));
        services.AddFlState("registry", configuration, (_, store) => new ParticipationLedger(new RegistryStore(store)));
        services.AddSingleton<TaskCreation>();
        services.AddSingleton<HeartbeatRecorder>();
        return services.AddSingleton<ClientAdmission>();
    }

    public static IBusRegistrationConfigurator AddRegistryConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<CreateTaskConsumer>();
        bus.AddConsumer<RegisterClientConsumer>();
        bus.AddConsumer<ClientHeartbeatConsumer>();
        bus.AddConsumer<ClientHeartbeatsConsumer>();
        bus.AddConsumer<RoundCompletedConsumer>();
        bus.AddConsumer<ClientRejectedConsumer>();
        return bus;
    }
}
