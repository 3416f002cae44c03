using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.UpdateStream;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Node.Edge;

/// <summary>Registration of a node that reaches the platform only through the edge (docs/edge.md).</summary>
public static class EdgeNodeExtensions
{
    /// <summary>The edge connection, session, upload path and model proxy; call before <see cref="NodeExtensions.AddNode"/>.</summary>
    public static IServiceCollection AddNodeEdge(this IServiceCollection services, IConfiguration configuration, string nodeId, IReadOnlyList<string> clientIds)
    {
        var options = services.AddValidatedOptions<EdgeNodeOptions>(configuration, NodeOptions.Section);
        if (!string.IsNullOrWhiteSpace(configuration[NodeOptions.Section + ":" + nameof(NodeOptions.ModelRegistryUrl)]))
            throw new InvalidOperationException("Invalid configuration: Node:ModelRegistryUrl cannot be combined with Node:EdgeUrl: a node behind the edge downloads models through it.");
        var identityPath = DataRoot.Resolve(configuration, options.EdgeIdentityFile is { Length: > 0 } file ? file : Path.Combine("edge-identity", nodeId + ".json"))!;
        var resilience = services.AddValidatedOptions<ResilienceOptions>(configuration, ResilienceOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new EdgeClient(options, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<EdgeUploads>();
        services.AddSingleton<IUpdateStreamProducer>(sp => sp.GetRequiredService<EdgeUploads>());
        services.AddSingleton<IModelVersionReader>(sp => new ModelRegistryClient(sp.GetRequiredService<EdgeClient>().Models,
            ExternalCallResilience.Create("edge-models", resilience, ModelRegistryClient.IsTransient, sp.GetRequiredService<TimeProvider>()),
            sp.GetRequiredService<ILogger<ModelRegistryClient>>()));
        services.AddHostedService(sp => new EdgeSession(sp.GetRequiredService<EdgeClient>(), options, identityPath, nodeId, clientIds,
            sp.GetRequiredService<IBus>(), sp.GetRequiredService<ILogger<EdgeSession>>()));
        return services;
    }

    /// <summary>The consumers that carry what the node publishes on its local bus to the edge.</summary>
    public static IBusRegistrationConfigurator AddEdgeForwarders(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<RegisterClientForwarder>();
        bus.AddConsumer<ClientHeartbeatForwarder>();
        bus.AddConsumer<UpdateSubmittedForwarder>();
        bus.AddConsumer<MaskedUpdateSubmittedForwarder>();
        bus.AddConsumer<UpdateDeclinedForwarder>();
        bus.AddConsumer<SecAggClientMessageForwarder>();
        return bus;
    }
}
