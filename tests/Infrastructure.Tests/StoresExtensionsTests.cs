using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Stores;
using FlMicroservices.Infrastructure.Stores.Mongo;
using FlMicroservices.Infrastructure.Stores.Redis;
using FlMicroservices.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Infrastructure.Tests;

[Collection(RedisFixture.Collection)]
public sealed class StoresExtensionsTests(RedisFixture redis)
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static ServiceCollection Services()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        return services;
    }

    [Fact]
    public async Task The_redis_store_replaces_the_embedded_one_and_survives_AddFlInfrastructure()
    {
        var prefix = $"ext:{Guid.NewGuid():N}:";
        var configuration = Configuration(("Redis:KeyPrefix", prefix), ("Redis:HeartbeatTtl", "00:00:30"), ("Resilience:MaxRetries", "1"));
        var services = Services();
        services.AddSingleton<IClientHealthStore, InMemoryClientHealthStore>();

        services.AddRedisClientHealthStore(redis.ConnectionString, configuration);
        services.AddFlInfrastructure(configuration);
        await using var provider = services.BuildServiceProvider();

        var store = Assert.IsType<RedisClientHealthStore>(provider.GetRequiredService<IClientHealthStore>());
        Assert.Equal(prefix, store.Keys.Prefix);
        Assert.Single(services, d => d.ServiceType == typeof(IClientHealthStore));
        await store.UpsertAsync(new ClientHealth("via-di", ClientStatus.Healthy, DateTimeOffset.UtcNow, 1, 0, 0), CancellationToken.None);
        Assert.Equal(["via-di"], await store.GetHealthyAsync(TimeSpan.FromMinutes(1), CancellationToken.None));
        var probe = Assert.Single(provider.GetServices<StoreProbe>());
        Assert.Equal("redis", probe.Name);
        Assert.True(await probe.IsReadyAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token));
        await provider.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase()
            .KeyDeleteAsync([store.Keys.Client("via-di"), store.Keys.Healthy, store.Keys.Registered]);
    }

    [Fact]
    public async Task The_mongo_store_replaces_the_file_store_without_contacting_the_server()
    {
        var services = Services();
        services.AddSingleton<IModelStore>(new FileModelStore(Path.Combine(Path.GetTempPath(), "fl-unused-" + Guid.NewGuid().ToString("N"))));

        services.AddMongoModelStore("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300", Configuration(("Mongo:Database", "fl_tests")));
        await using var provider = services.BuildServiceProvider();

        var store = Assert.IsType<MongoModelStore>(provider.GetRequiredService<IModelStore>());
        Assert.Equal("fl_tests", store.DatabaseName);
        Assert.Single(services, d => d.ServiceType == typeof(IModelStore));
        Assert.Single(provider.GetServices<IHostedService>(), s => s is MongoIndexInitializer);
        var probe = Assert.Single(provider.GetServices<StoreProbe>());
        Assert.Equal("mongodb", probe.Name);
        Assert.False(await probe.IsReadyAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token));
    }

    [Theory]
    [InlineData("Redis:KeyPrefix", "", "Redis:KeyPrefix")]
    [InlineData("Redis:KeyPrefix", "has space", "Redis:KeyPrefix")]
    [InlineData("Redis:HeartbeatTtl", "00:00:00", "Redis:HeartbeatTtl")]
    [InlineData("Resilience:MaxRetries", "99", "Resilience:MaxRetries")]
    public void Bad_redis_settings_stop_registration_naming_the_setting(string key, string value, string named)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Services().AddRedisClientHealthStore("127.0.0.1:6379", Configuration((key, value))));

        Assert.Contains(named, error.Message);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData(",,,", "names no server")]
    public void A_bad_redis_connection_string_is_refused(string connectionString, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Services().AddRedisClientHealthStore(connectionString, Configuration()));

        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("http://example/db", "not a valid mongodb:// URL")]
    [InlineData(" ", "empty")]
    public void A_bad_mongo_connection_string_is_refused(string connectionString, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Services().AddMongoModelStore(connectionString, Configuration()));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_bad_mongo_database_name_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Services().AddMongoModelStore("mongodb://127.0.0.1:1", Configuration(("Mongo:Database", "a/b"))));

        Assert.Contains("Mongo:Database", error.Message);
    }
}
