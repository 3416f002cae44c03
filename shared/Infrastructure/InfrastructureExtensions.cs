using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Infrastructure;

/// <summary>Registers the stores and the update stream; only this composition step knows which implementations are used.</summary>
public static class InfrastructureExtensions
{
    /// <summary>
    /// The update stream named by UpdateStream:Transport (the in-process one by default, Kafka from ConnectionStrings:kafka),
    /// the in-memory health store and the file model store. Adapters registered before this call (Redis, MongoDB) are kept.
    /// </summary>
    public static IServiceCollection AddFlInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        var storage = new StorageOptions();
        configuration.GetSection(StorageOptions.Section).Bind(storage);
        OptionsValidation.ThrowIfInvalid(storage, StorageOptions.Section);
        var stream = services.AddValidatedOptions<UpdateStreamOptions>(configuration, UpdateStreamOptions.Section);
        var resilience = services.AddValidatedOptions<ResilienceOptions>(configuration, ResilienceOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IClientHealthStore, InMemoryClientHealthStore>();
        var modelStoreRoot = DataRoot.Resolve(configuration, storage.ModelStoreRoot)!;
        services.TryAddSingleton<IModelStore>(_ => new FileModelStore(modelStoreRoot));
        if (stream.IsKafka)
        {
            var bootstrap = configuration.GetConnectionString(UpdateStreamOptions.ConnectionStringName);
            if (string.IsNullOrWhiteSpace(bootstrap) || bootstrap.Split(',').Any(b => !IsHostPort(b.Trim())))
                throw new InvalidOperationException(
                    $"Invalid configuration: UpdateStream:Transport is Kafka but ConnectionStrings:{UpdateStreamOptions.ConnectionStringName} " +
                    $"is {(string.IsNullOrWhiteSpace(bootstrap) ? "not set" : $"'{bootstrap}'")}; it must list bootstrap servers as host:port[,host:port].");
            var security = services.AddValidatedOptions<KafkaSecurityOptions>(configuration, KafkaSecurityOptions.Section);
            // Before every consumer and producer: the topic exists with its partitions, replication and retention.
            services.AddHostedService(sp => new KafkaTopicProvisioner(bootstrap, stream, security, sp.GetRequiredService<ILogger<KafkaTopicProvisioner>>()));
            services.TryAddSingleton(sp => new KafkaUpdateStream(bootstrap, stream,
                ExternalCallResilience.Create("kafka", resilience, KafkaUpdateStream.IsTransient, sp.GetRequiredService<TimeProvider>()),
                sp.GetRequiredService<ILoggerFactory>(), security));
            services.TryAddSingleton<IUpdateStreamProducer>(sp => sp.GetRequiredService<KafkaUpdateStream>());
            services.TryAddSingleton<IUpdateStreamConsumerFactory>(sp => sp.GetRequiredService<KafkaUpdateStream>());
            services.TryAddSingleton<IUpdateStreamReader>(sp => sp.GetRequiredService<KafkaUpdateStream>());
        }
        else
        {
            services.TryAddSingleton(_ => new InProcessUpdateStream(storage.UpdateStreamPartitions));
            services.TryAddSingleton<IUpdateStreamProducer>(sp => sp.GetRequiredService<InProcessUpdateStream>());
            services.TryAddSingleton<IUpdateStreamConsumerFactory>(sp => sp.GetRequiredService<InProcessUpdateStream>());
            services.TryAddSingleton<IUpdateStreamReader>(sp => sp.GetRequiredService<InProcessUpdateStream>());
        }
        return services;
    }

    private static bool IsHostPort(string value)
    {
        var colon = value.LastIndexOf(':');
        return colon > 0 && int.TryParse(value.AsSpan(colon + 1), out var port) && port is > 0 and < 65536;
    }
}
