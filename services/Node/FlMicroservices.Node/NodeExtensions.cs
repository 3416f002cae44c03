using FlMicroservices.Infrastructure;
using FlMicroservices.Node.Consumers;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Node;

/// <summary>Registration of a node: its hosted clients, their training and their membership.</summary>
public static class NodeExtensions
{
    public static IServiceCollection AddNode(this IServiceCollection services, IConfiguration configuration, IEnumerable<HostedClient> clients)
    {
        services.AddValidatedOptions<NodeOptions>(configuration, NodeOptions.Section);
        services.AddSingleton(new HostedClients(clients));
        services.AddSingleton<TrainerPool>();
        services.AddSingleton<NodeStatistics>();
        services.AddSingleton<RoundParticipation>();
        services.AddHostedService<NodeMembershipService>();
        return services;
    }

    public static IBusRegistrationConfigurator AddNodeConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<RoundStartedConsumer>();
        return bus;
    }
}
