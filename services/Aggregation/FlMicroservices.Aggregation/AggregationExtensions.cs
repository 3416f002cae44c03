using FlMicroservices.Aggregation.Consumers;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.State;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.Aggregation;

/// <summary>Registration of the aggregation service's logic and consumers.</summary>
public static class AggregationExtensions
{
    /// <summary>Registers the aggregation logic; settings come from the "Aggregation" section (checkpoints under the data root by default; none without a configuration).</summary>
    public static IServiceCollection AddAggregationService(this IServiceCollection services, IConfiguration? configuration = null)
    {
        var options = configuration is null
            ? new AggregationOptions()
            : services.AddValidatedOptions<AggregationOptions>(configuration, AggregationOptions.Section);
        if (configuration is null) services.AddOptions<AggregationOptions>();
        services.AddSingleton(new AggregationCheckpoints(configuration is null ? null : DataRoot.Resolve(configuration, options.CheckpointDirectory)));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => CommandSigning.Off()); // AddFlMessaging puts the deployment's in its place
        services.AddFlState("aggregation", configuration, (_, store) => new ClientKeyDirectory(store));
        services.AddFlState("aggregation", configuration, (_, store) => new NonceLedger(store, NonceLedger.KindFor(options.Shard)));
        services.AddSingleton<UpdateVerifier>();
        services.AddSingleton<RoundRegistry>();
        services.AddSingleton<RoundCheckpointer>();
        services.AddSingleton<SliceRetraction>();
        services.AddSingleton<ShardedRounds>();
        services.AddSingleton<RoundCloser>();
        services.AddSingleton<LateUpdateStore>();
        services.AddSingleton<UpdateRouter>();
        services.AddSingleton<RoundOpener>();
        services.AddHostedService<RoundDeadlineService>();
        services.AddHostedService<SliceIngestionService>();
        SecAgg.SecureAggregationExtensions.AddSecureAggregation(services, configuration);
        return services;
    }

    /// <param name="bus">The bus being configured.</param>
    /// <param name="configuration">With "Aggregation:ShardCount" above 1, every shard gets its own queues (all of them see every
    /// RoundStarted, manifest, decline and shard message) and the shard consumers are added.</param>
    public static IBusRegistrationConfigurator AddAggregationConsumers(this IBusRegistrationConfigurator bus, IConfiguration? configuration = null)
    {
        var options = new AggregationOptions();
        configuration?.GetSection(AggregationOptions.Section).Bind(options);
        var instance = options.Shard is { } shard ? $"shard-{shard.Index}" : null;
        var started = bus.AddConsumer<RoundStartedConsumer>();
        var manifests = bus.AddConsumer<UpdateSubmittedConsumer>();
        var declines = bus.AddConsumer<UpdateDeclinedConsumer>();
        var registrations = bus.AddConsumer<ClientRegisteredConsumer>();
        if (instance is not null)
        {
            started.Endpoint(e => e.InstanceId = instance);
            manifests.Endpoint(e => e.InstanceId = instance);
            declines.Endpoint(e => e.InstanceId = instance);
            registrations.Endpoint(e => e.InstanceId = instance); // every shard verifies its own manifests
            bus.AddConsumer<ShardRoundReportedConsumer>().Endpoint(e => e.InstanceId = instance);
            bus.AddConsumer<ShardRoundDecidedConsumer>().Endpoint(e => e.InstanceId = instance);
            bus.AddConsumer<ShardRoundFinishedConsumer>().Endpoint(e => e.InstanceId = instance);
        }
        SecAgg.SecureAggregationExtensions.AddSecureAggregationConsumers(bus);
        return bus;
    }
}
