using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
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
        services.AddSingleton<CpuLoadMeter>();
        services.AddSingleton<ScaffoldClientState>();
        services.AddSingleton<SecAgg.SecureRoundParticipation>();
        services.AddSingleton<RoundParticipation>();
        services.AddHostedService<NodeMembershipService>();
        return services;
    }

    /// <param name="bus">The bus being configured.</param>
    /// <param name="instanceId">
    /// The node's name when several node processes share a broker: every node must see every RoundStarted, so each gets its
    /// own queue (the endpoint name with this suffix) instead of competing for one. Null in embedded mode (one node).
    /// </param>
    public static IBusRegistrationConfigurator AddNodeConsumers(this IBusRegistrationConfigurator bus, string? instanceId = null)
    {
        var consumer = bus.AddConsumer<RoundStartedConsumer>();
        if (instanceId is not null) consumer.Endpoint(e => OwnQueue(e, instanceId));
        var secure = bus.AddConsumer<SecAggServerMessageConsumer>(); // every node sees every message, like RoundStarted
        if (instanceId is not null) secure.Endpoint(e => OwnQueue(e, instanceId));
        return bus;
    }

    // A node's own queue expires once the node has been gone for a while, instead of collecting RoundStarted forever.
    private static void OwnQueue(IEndpointRegistrationConfigurator endpoint, string instanceId)
    {
        endpoint.InstanceId = instanceId;
        endpoint.AddConfigureEndpointCallback(QueueExpiry.After(QueueExpiry.Default));
    }
}
