using Xunit;

namespace FlMicroservices.Testing;

/// <summary>
/// One RabbitMQ broker for every test class of a collection (see <see cref="ServerFixtures.RabbitMqAsync"/>). xunit needs the
/// collection definition in the test assembly: <c>[CollectionDefinition(RabbitMqFixture.Collection)] public sealed class
/// RabbitMqCollection : ICollectionFixture&lt;RabbitMqFixture&gt;;</c>
/// </summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    public const string Collection = "rabbitmq";
    private ServerInstance? _server;

    public ServerInstance Server => _server ?? throw new InvalidOperationException("The RabbitMQ fixture has not been initialized.");

    /// <summary>An amqp:// URL.</summary>
    public string ConnectionString => Server.ConnectionString;

    public async Task InitializeAsync() => _server = await ServerFixtures.RabbitMqAsync().ConfigureAwait(false);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>One Redis server for every test class of a collection (see <see cref="ServerFixtures.RedisAsync"/>); give each test
/// its own key prefix. Collection definition in the test assembly, as for <see cref="RabbitMqFixture"/>.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public const string Collection = "redis";
    private ServerInstance? _server;

    public ServerInstance Server => _server ?? throw new InvalidOperationException("The Redis fixture has not been initialized.");

    /// <summary>host:port</summary>
    public string ConnectionString => Server.ConnectionString;

    public async Task InitializeAsync() => _server = await ServerFixtures.RedisAsync().ConfigureAwait(false);

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>One MongoDB server for every test class of a collection, or none (<see cref="SkipReason"/>): tests that use it
/// are marked <see cref="MongoFactAttribute"/>, which skips them in that case. Collection definition in the test assembly.</summary>
public sealed class MongoFixture : IAsyncLifetime
{
    public const string Collection = "mongodb";

    /// <summary>The server, or null when none could be had.</summary>
    public ServerInstance? Server { get; private set; }

    /// <summary>Why there is no server (null when there is one).</summary>
    public string? SkipReason { get; private set; }

    /// <summary>A mongodb:// URL; throws when there is no server (a test that needs one must be a <see cref="MongoFactAttribute"/>).</summary>
    public string ConnectionString => Server?.ConnectionString ?? throw new InvalidOperationException(SkipReason ?? "The MongoDB fixture has not been initialized.");

    public async Task InitializeAsync()
    {
        Server = await ServerFixtures.MongoAsync().ConfigureAwait(false);
        SkipReason = Server is null ? ServerFixtures.MongoUnavailableReason ?? ServerFixtures.MongoSkipMessage : null;
    }

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync().ConfigureAwait(false);
    }
}
