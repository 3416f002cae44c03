using FlMicroservices.Registry.Consumers;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Registry;

/// <summary>Registration of the registry service's logic and consumers.</summary>
public static class RegistryExtensions
{
    public static IServiceCollection AddRegistryService(this IServiceCollection services) =>
        services.AddSingleton<TaskCatalog>().AddSingleton<ClientAdmission>();

    public static IBusRegistrationConfigurator AddRegistryConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<CreateTaskConsumer>();
        bus.AddConsumer<RegisterClientConsumer>();
        bus.AddConsumer<ClientHeartbeatConsumer>();
        return bus;
    }
}
