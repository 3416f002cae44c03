using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Infrastructure.Stores.Mongo;
using FlMicroservices.Infrastructure.Stores.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using MongoDB.Driver;
using StackExchange.Redis;

namespace FlMicroservices.Infrastructure.Stores;

/// <summary>Registers the external store adapters in place of the embedded stores.</summary>
/// <remarks>
/// Each method replaces any earlier <see cref="IClientHealthStore"/> / <see cref="IModelStore"/> registration, so it may run
/// before or after <c>AddFlInfrastructure</c> (which only fills in what is missing). Settings are read and validated now:
/// a bad setting or connection string stops the service at start with a message naming it. The connection to the server is
/// made when the store is first resolved and never fails start-up (AbortOnConnectFail=false): calls fail, after the
/// resilience pipeline's retries, until the server is reachable, and the <see cref="StoreProbe"/> reports not ready.
/// </remarks>
public static class StoresExtensions
{
    /// <summary>The Redis client-health store (section "Redis", retries from "Resilience") on the server <paramref name="connectionString"/> (host:port[,options]).</summary>
    public static IServiceCollection AddRedisClientHealthStore(this IServiceCollection services, string connectionString, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var redis = ParseRedis(connectionString);
        var options = services.AddValidatedOptions<RedisOptions>(configuration, RedisOptions.Section);
        TrustRedisCa(redis, options, configuration);
        var resilience = BindResilience(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis));
        services.RemoveAll<RedisClientHealthStore>();
        services.AddSingleton(sp => new RedisClientHealthStore(
            sp.GetRequiredService<IConnectionMultiplexer>(), options, resilience, sp.GetRequiredService<TimeProvider>()));
        services.RemoveAll<IClientHealthStore>();
        services.AddSingleton<IClientHealthStore>(sp => sp.GetRequiredService<RedisClientHealthStore>());
        services.AddSingleton(sp => new StoreProbe("redis", ct => sp.GetRequiredService<RedisClientHealthStore>().PingAsync(ct)));
        return services;
    }

    /// <summary>The MongoDB model store (section "Mongo", retries from "Resilience") on the server <paramref name="connectionString"/> (mongodb://...).</summary>
    public static IServiceCollection AddMongoModelStore(this IServiceCollection services, string connectionString, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var url = ParseMongo(connectionString);
        var options = services.AddValidatedOptions<MongoOptions>(configuration, MongoOptions.Section);
        var resilience = BindResilience(configuration);
        var client = MongoSettings(url, options, configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IMongoClient>(_ => new MongoClient(client));
        services.RemoveAll<MongoModelStore>();
        services.AddSingleton(sp => new MongoModelStore(sp.GetRequiredService<IMongoClient>(), options, resilience, sp.GetRequiredService<TimeProvider>()));
        services.RemoveAll<IModelStore>();
        services.AddSingleton<IModelStore>(sp => sp.GetRequiredService<MongoModelStore>());
        services.AddSingleton(sp => new StoreProbe("mongodb", ct => sp.GetRequiredService<MongoModelStore>().PingAsync(ct)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MongoIndexInitializer>());
        return services;
    }

    /// <summary>Every service's state in MongoDB (database from section "Mongo") on the server <paramref name="connectionString"/> (mongodb://...).</summary>
    public static IServiceCollection AddMongoStateStores(this IServiceCollection services, string connectionString, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var url = ParseMongo(connectionString);
        var options = new MongoOptions();
        configuration.GetSection(MongoOptions.Section).Bind(options);
        OptionsValidation.ThrowIfInvalid(options, MongoOptions.Section);
        var client = MongoSettings(url, options, configuration);
        services.TryAddSingleton<IMongoClient>(_ => new MongoClient(client));
        services.RemoveAll<IStateStoreFactory>();
        services.AddSingleton<IStateStoreFactory>(sp => new MongoStateStores(sp.GetRequiredService<IMongoClient>(), options.Database));
        services.AddSingleton(sp => new StoreProbe("mongodb-state",
            ct => new MongoStateStore(sp.GetRequiredService<IMongoClient>(), options.Database, "state_probe").PingAsync(ct)));
        return services;
    }

    private static ConfigurationOptions ParseRedis(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException("Invalid configuration: the Redis connection string is empty; it must be host:port[,options].");
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"Invalid configuration: the Redis connection string is not valid ({e.Message}); it must be host:port[,options].", e);
        }
        if (options.EndPoints.Count == 0)
            throw new InvalidOperationException("Invalid configuration: the Redis connection string names no server; it must be host:port[,options].");
        options.AbortOnConnectFail = false;
        return options;
    }

    // A private CA for the server's certificate: only with TLS, and only a file that exists and holds a certificate.
    private static void TrustRedisCa(ConfigurationOptions redis, RedisOptions options, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(options.TlsCaCertificate)) return;
        var path = DataRoot.Resolve(configuration, options.TlsCaCertificate)!;
        if (!redis.Ssl)
            throw new InvalidOperationException($"Invalid configuration: Redis:TlsCaCertificate is set but the Redis connection string does not ask for TLS (add ssl=true).");
        if (!File.Exists(path))
            throw new InvalidOperationException($"Invalid configuration: Redis:TlsCaCertificate {path} does not exist.");
        try
        {
            redis.TrustIssuer(path);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"Invalid configuration: Redis:TlsCaCertificate {path} is not a PEM or DER certificate ({e.Message}).", e);
        }
    }

    /// <summary>The client's settings from the URL, trusting <see cref="MongoOptions.TlsCaCertificate"/> for a TLS connection when it is set.</summary>
    public static MongoClientSettings MongoSettings(MongoUrl url, MongoOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(options);
        var settings = MongoClientSettings.FromUrl(url);
        if (string.IsNullOrWhiteSpace(options.TlsCaCertificate)) return settings;
        if (!url.UseTls)
            throw new InvalidOperationException("Invalid configuration: Mongo:TlsCaCertificate is set but the MongoDB connection string does not ask for TLS (add tls=true).");
        var ca = PrivateCa.Load(DataRoot.Resolve(configuration, options.TlsCaCertificate)!, "Mongo:TlsCaCertificate");
        settings.SslSettings = new SslSettings { ServerCertificateValidationCallback = (_, certificate, _, errors) => ca.Validates(certificate, errors) };
        return settings;
    }

    private static MongoUrl ParseMongo(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException("Invalid configuration: the MongoDB connection string is empty; it must be a mongodb:// URL.");
        try
        {
            return MongoUrl.Create(connectionString);
        }
        catch (MongoConfigurationException e)
        {
            // The message of a URL parse error does not repeat the URL, which may hold a password.
            throw new InvalidOperationException($"Invalid configuration: the MongoDB connection string is not a valid mongodb:// URL ({e.Message}).", e);
        }
    }

    private static ResilienceOptions BindResilience(IConfiguration configuration)
    {
        var resilience = new ResilienceOptions();
        configuration.GetSection(ResilienceOptions.Section).Bind(resilience);
        OptionsValidation.ThrowIfInvalid(resilience, ResilienceOptions.Section);
        return resilience;
    }
}
