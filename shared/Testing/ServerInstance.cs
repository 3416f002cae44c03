namespace FlMicroservices.Testing;

/// <summary>Where a test server came from.</summary>
public enum ServerSource
{
    /// <summary>Named by an environment variable (FL_RABBITMQ_URL, FL_REDIS_URL, FL_MONGO_URL); never stopped by the tests.</summary>
    Environment,

    /// <summary>A container started through Testcontainers.</summary>
    Container,

    /// <summary>A throwaway process started from the Debian package.</summary>
    Local,
}

/// <summary>A server the tests can use: its connection string and what provides it. Disposing stops what the fixture started.</summary>
public sealed class ServerInstance : IAsyncDisposable
{
    private readonly Func<Task>? _stop;
    private readonly Func<ValueTask>? _dispose;
    private readonly Func<Task>? _restart;
    private int _disposed;

    public ServerInstance(string connectionString, string description, ServerSource source, Func<Task>? stop = null, Func<ValueTask>? dispose = null,
        Func<Task>? restart = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ConnectionString = connectionString;
        Description = description;
        Source = source;
        _stop = stop;
        _dispose = dispose;
        _restart = restart;
    }

    /// <summary>amqp://user:password@host:port/ for RabbitMQ, host:port for Redis, mongodb://... for MongoDB.</summary>
    public string ConnectionString { get; }

    /// <summary>What is used, for test output: "environment", "container", "local rabbitmq-server 3.10 on port 40123".</summary>
    public string Description { get; }

    public ServerSource Source { get; }

    /// <summary>Whether <see cref="StopAsync"/> works (servers from the environment are never stopped).</summary>
    public bool CanStop => _stop is not null;

    /// <summary>Stops the server while the handle stays alive, for tests of what clients do during an outage.</summary>
    public Task StopAsync() =>
        _stop?.Invoke() ?? throw new NotSupportedException($"The server '{Description}' was not started by the fixture and cannot be stopped.");

    /// <summary>Whether <see cref="RestartAsync"/> works (a throwaway local server).</summary>
    public bool CanRestart => _restart is not null;

    /// <summary>Stops the server and starts it again at the same address, for tests of what clients do across a restart.</summary>
    public Task RestartAsync() =>
        _restart?.Invoke() ?? throw new NotSupportedException($"The server '{Description}' cannot be restarted by the tests.");

    /// <summary>Creates a broker user (a throwaway local RabbitMQ only; null otherwise).</summary>
    public Func<BrokerUser, Task>? AddUser { get; init; }

    public override string ToString() => Description;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (_dispose is not null) await _dispose().ConfigureAwait(false);
    }
}
