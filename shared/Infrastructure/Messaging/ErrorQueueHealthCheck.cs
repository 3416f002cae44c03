using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>The _error queues of this process's receive endpoints, named as the bus configures them.</summary>
public sealed class ErrorQueues
{
    private readonly ConcurrentDictionary<string, bool> _names = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _names.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>Records the error queue of the endpoint <paramref name="queueName"/> (MassTransit names it queueName_error).</summary>
    public void AddEndpoint(string queueName) => _names.TryAdd(queueName + "_error", true);
}

/// <summary>
/// Readiness entry "error-queues": Degraded while any of this process's _error queues holds messages (messages whose every
/// retry failed), with each queue's depth; read with a passive queue declare, so no management plugin is needed.
/// </summary>
public sealed class ErrorQueueHealthCheck(Uri broker, ErrorQueues queues, BrokerTls? tls = null) : IHealthCheck, IAsyncDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private IConnection? _connection;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            var depths = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var name in queues.Names)
            {
                var depth = await DepthAsync(name, cancellationToken);
                Telemetry.FlTelemetry.ErrorQueueDepth(name, depth);
                if (depth > 0) depths[name] = depth;
            }
            if (depths.Count == 0) return HealthCheckResult.Healthy($"{queues.Names.Count} error queues, all empty");
            var total = depths.Values.Sum(d => (long)(uint)d);
            return HealthCheckResult.Degraded(
                $"{total} failed messages in {string.Join(", ", depths.Select(d => $"{d.Key} ({d.Value})"))}", data: depths);
        }
        catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or AlreadyClosedException or IOException)
        {
            return HealthCheckResult.Degraded($"error queues not readable: {e.Message}");
        }
        finally
        {
            _lock.Release();
        }
    }

    // A passive declare answers the queue's message count, or closes the channel with 404 when the queue does not exist yet
    // (MassTransit creates an _error queue with its first faulted message).
    private async Task<uint> DepthAsync(string queue, CancellationToken cancellationToken)
    {
        if (_connection is not { IsOpen: true })
        {
            if (_connection is not null) await _connection.DisposeAsync();
            var factory = new ConnectionFactory { Uri = broker, ClientProvidedName = "error-queue-health" };
            if (tls is not null)
            {
                factory.Ssl = new SslOption
                {
                    Enabled = true,
                    ServerName = tls.ServerName,
                    Version = BrokerTls.Protocols,
                    CertificateValidationCallback = tls.ValidateServer,
                    Certs = tls.ClientCertificate is { } client ? [client] : null,
                };
            }
            _connection = await factory.CreateConnectionAsync(cancellationToken);
        }
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _lock.Dispose();
    }
}
