using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Infrastructure.Stores;
using FlMicroservices.Infrastructure.Telemetry;
using FlMicroservices.Node.Consumers;
using FlMicroservices.Node.Edge;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Node;

/// <summary>Registration of a node: its hosted clients, their training and their membership.</summary>
public static class NodeExtensions
{
    /// <param name="services">The node's services.</param>
    /// <param name="configuration">Its settings.</param>
    /// <param name="clients">The clients it hosts.</param>
    /// <param name="stateName">The name of its durable state store (one per node process, so nodes sharing a data root keep theirs apart).</param>
    public static IServiceCollection AddNode(this IServiceCollection services, IConfiguration configuration, IEnumerable<HostedClient> clients, string stateName = "node")
    {
        var options = services.AddValidatedOptions<NodeOptions>(configuration, NodeOptions.Section);
        services.AddFlState(stateName, configuration, (_, store) => new Privacy.PrivacyPins(store));
        services.TryAddSingleton(_ => CommandSigning.Off()); // AddFlMessaging puts the deployment's in its place
        services.AddModelSource(configuration, options.ModelRegistry);
        services.AddSingleton(new HostedClients(clients));
        services.AddSingleton<TrainerPool>();
        services.AddSingleton<NodeStatistics>();
        services.AddSingleton<CpuLoadMeter>();
        services.AddSingleton<ScaffoldClientState>();
        services.TryAddSingleton(new ClientIdentities()); // in memory (simulated clients); a node process keeps them in its data folder
        services.AddSingleton<UpdateSigning>();
        services.AddSingleton<SecAgg.SecureRoundParticipation>();
        services.AddSingleton(sp => new ErrorFeedbackResiduals(sp.GetRequiredKeyedService<IStateStore>(stateName)));
        services.AddSingleton<UpdateCompression>();
        services.AddSingleton<UpdateUplink>();
        services.TryAddSingleton<IUpdateUplink>(sp => sp.GetRequiredService<UpdateUplink>()); // a simulation's decorator may come first
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IParticipationGate, NodeGate>(); // a simulation's clock may come first
        services.AddSingleton<RoundParticipation>();
        services.AddSingleton<LateUploads>();
        services.AddHostedService<NodeMembershipService>();
        return services;
    }

    /// <summary>
    /// A node as its own process (the node host and `fl node`): one torch thread per trainer, telemetry, the bus with this
    /// node's own queues, stores and update stream from configuration, and the node hosting <paramref name="clients"/>.
    /// </summary>
    public static IHostApplicationBuilder AddNodeProcess(this IHostApplicationBuilder builder, string nodeId, IEnumerable<HostedClient> clients)
    {
        ArgumentNullException.ThrowIfNull(builder);
        Training.TorchRuntime.EnsureInitialized(1);
        builder.Logging.AddFilter("MassTransit", LogLevel.Warning);
        builder.AddFlTelemetry($"node {nodeId}"); // OTLP where OTEL_EXPORTER_OTLP_ENDPOINT is set; Telemetry:Console=true prints it
        var stateName = "node-" + string.Concat(nodeId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        var identity = builder.Configuration[$"{NodeOptions.Section}:{nameof(NodeOptions.IdentityDirectory)}"];
        var identities = DataRoot.Resolve(builder.Configuration, string.IsNullOrWhiteSpace(identity) ? NodeOptions.DefaultIdentityDirectory : identity);
        builder.Services.AddSingleton(sp => new ClientIdentities(identities,
            sp.GetRequiredService<IOptions<NodeOptions>>().Value.SigningAlgorithms is { Length: > 0 } named ? named : null)); // validated first
        if (!string.IsNullOrWhiteSpace(builder.Configuration[NodeOptions.Section + ":" + nameof(Edge.EdgeNodeOptions.EdgeUrl)]))
        {
            // Through the edge: no broker, no stream, no store. A local in-memory bus joins the node's consumers to the edge.
            var hosted = clients.ToList();
            builder.Configuration[MessagingOptions.Section + ":" + nameof(MessagingOptions.Transport)] = "InMemory";
            builder.Configuration[$"{NodeOptions.Section}:{nameof(NodeOptions.HeartbeatBatch)}"] = "0"; // the edge forwards one client's heartbeat at a time
            builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddNodeConsumers().AddEdgeForwarders());
            builder.Services.AddNodeEdge(builder.Configuration, nodeId, [.. hosted.Select(c => c.ClientId)]);
            builder.Services.AddNode(builder.Configuration, hosted, stateName);
            return builder;
        }
        builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddNodeConsumers(nodeId), BrokerAccounts.Node);
        builder.Services.AddFlStoresAndStreams(builder.Configuration);
        builder.Services.AddNode(builder.Configuration, clients, stateName);
        return builder;
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
