using DotNet.Testcontainers.Configurations;
using Testcontainers.MongoDb;
using Testcontainers.RabbitMq;
using Testcontainers.Redis;

namespace FlMicroservices.Testing;

/// <summary>Finds or starts the servers that integration tests need.</summary>
/// <remarks>
/// For each server, in order: (1) a URL from the environment (<see cref="RabbitMqUrlVariable"/>, <see cref="RedisUrlVariable"/>,
/// <see cref="MongoUrlVariable"/>); (2) a Testcontainers container when a Docker engine is reachable; (3) for RabbitMQ and Redis,
/// a throwaway server started from the Debian package (<see cref="LocalRabbitMqServer"/>, <see cref="LocalRedisServer"/>).
/// RabbitMQ and Redis tests never skip: when no route works these methods throw, so a CI run (CI=true) fails loudly.
/// No MongoDB server package exists for these machines, so MongoDB tests skip, saying why, when neither (1) nor (2) is there.
/// </remarks>
public static class ServerFixtures
{
    public const string RabbitMqUrlVariable = "FL_RABBITMQ_URL";
    public const string RedisUrlVariable = "FL_REDIS_URL";
    public const string MongoUrlVariable = "FL_MONGO_URL";

    /// <summary>The reason MongoDB tests give when they skip.</summary>
    public const string MongoSkipMessage = "MongoDB server tests skipped: set FL_MONGO_URL or provide a Docker engine";

    public const string RabbitMqImage = "rabbitmq:3.13-alpine";
    public const string RedisImage = "redis:7.0-alpine";
    public const string MongoImage = "mongo:7.0";

    private static readonly Lazy<bool> Docker = new(() => TestcontainersSettings.OS.DockerEndpointAuthConfig is not null);

    /// <summary>Whether Testcontainers found a reachable Docker engine (checked once, without starting anything).</summary>
    public static bool DockerAvailable => Docker.Value;

    /// <summary>Whether this is a CI run (environment variable CI=true), where missing servers must fail tests, never skip them.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Null when a MongoDB server can be had; otherwise why MongoDB server tests are skipped.</summary>
    public static string? MongoUnavailableReason =>
        FromEnvironment(MongoUrlVariable) is not null || DockerAvailable ? null : $"no {MongoUrlVariable} and no Docker engine: MongoDB server tests skipped";

    /// <summary>A RabbitMQ broker; <see cref="ServerInstance.ConnectionString"/> is an amqp:// URL.</summary>
    /// <param name="stoppable">True for tests that stop or restart the broker: the environment's broker (which must not be stopped) is not used.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<ServerInstance> RabbitMqAsync(bool stoppable = false, CancellationToken cancellationToken = default)
    {
        if (!stoppable && FromEnvironment(RabbitMqUrlVariable) is { } url) return new ServerInstance(url, "environment", ServerSource.Environment);
        if (DockerAvailable)
        {
            var container = new RabbitMqBuilder(RabbitMqImage).Build();
            return await StartContainerAsync(container, () => container.GetConnectionString(), "RabbitMQ", cancellationToken).ConfigureAwait(false);
        }
        if (!LocalRabbitMqServer.IsInstalled)
            throw Missing("RabbitMQ", RabbitMqUrlVariable, "amqp://user:password@host:port/", "rabbitmq-server");
        var local = await LocalRabbitMqServer.StartAsync(cancellationToken).ConfigureAwait(false);
        return new ServerInstance(local.ConnectionString, local.ToString(), ServerSource.Local, local.StopAsync, local.DisposeAsync, () => local.RestartAsync())
        {
            AddUser = user => local.AddUserAsync(user),
        };
    }

    /// <summary>A Redis server; <see cref="ServerInstance.ConnectionString"/> is host:port.</summary>
    /// <param name="stoppable">True for tests that stop the server: the environment's server (which must not be stopped) is not used.</param>
    public static async Task<ServerInstance> RedisAsync(bool stoppable = false, CancellationToken cancellationToken = default)
    {
        if (!stoppable && FromEnvironment(RedisUrlVariable) is { } url) return new ServerInstance(url, "environment", ServerSource.Environment);
        if (DockerAvailable)
        {
            var container = new RedisBuilder(RedisImage).Build();
            return await StartContainerAsync(container, () => container.GetConnectionString(), "Redis", cancellationToken).ConfigureAwait(false);
        }
        if (!LocalRedisServer.IsInstalled)
            throw Missing("Redis", RedisUrlVariable, "host:port", "redis-server");
        var local = await LocalRedisServer.StartAsync(cancellationToken).ConfigureAwait(false);
        return new ServerInstance(local.ConnectionString, local.ToString(), ServerSource.Local, local.StopAsync, local.DisposeAsync, () => local.RestartAsync());
    }

    /// <summary>A MongoDB server (a mongodb:// URL), or null when none can be had (<see cref="MongoUnavailableReason"/> says why).</summary>
    public static async Task<ServerInstance?> MongoAsync(CancellationToken cancellationToken = default)
    {
        if (FromEnvironment(MongoUrlVariable) is { } url) return new ServerInstance(url, "environment", ServerSource.Environment);
        if (!DockerAvailable) return null;
        var container = new MongoDbBuilder(MongoImage).Build();
        return await StartContainerAsync(container, () => container.GetConnectionString(), "MongoDB", cancellationToken).ConfigureAwait(false);
    }

    private static string? FromEnvironment(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value.Trim() : null;

    private static async Task<ServerInstance> StartContainerAsync(DotNet.Testcontainers.Containers.IContainer container, Func<string> connectionString,
        string what, CancellationToken cancellationToken)
    {
        try
        {
            await container.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await container.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"A Docker engine is reachable but the {what} container ({container.Image.FullName}) did not start: {e.Message}", e);
        }
        return new ServerInstance(connectionString(), $"container {container.Image.FullName}", ServerSource.Container,
            () => container.StopAsync(), container.DisposeAsync);
    }

    private static InvalidOperationException Missing(string what, string variable, string format, string package) =>
        new($"No {what} server for the tests: {variable} is not set, no Docker engine is reachable, and the Debian package {package} is not installed. " +
            $"Set {variable}={format}, start a Docker engine, or run apt-get install -y {package}." +
            (IsCi ? " (CI=true: these tests must run, they are never skipped.)" : ""));
}
