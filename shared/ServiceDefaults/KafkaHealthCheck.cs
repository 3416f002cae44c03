using Confluent.Kafka;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlMicroservices.ServiceDefaults;

/// <summary>Ready while a Kafka broker answers a metadata request.</summary>
public sealed class KafkaHealthCheck(string bootstrapServers, KafkaSecurityOptions security) : IHealthCheck, IDisposable
{
    private readonly Lazy<IAdminClient> _admin = new(() =>
    {
        var config = new AdminClientConfig { BootstrapServers = bootstrapServers, SocketTimeoutMs = 3000 };
        security.ApplyTo(config);
        return new AdminClientBuilder(config).Build();
    });

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var metadata = _admin.Value.GetMetadata(TimeSpan.FromSeconds(3));
            return Task.FromResult(metadata.Brokers.Count > 0
                ? HealthCheckResult.Healthy($"{metadata.Brokers.Count} Kafka broker(s)")
                : HealthCheckResult.Unhealthy("Kafka answered with no brokers"));
        }
        catch (KafkaException e)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"Kafka at {bootstrapServers}: {e.Error.Reason}"));
        }
    }

    public void Dispose()
    {
        if (_admin.IsValueCreated) _admin.Value.Dispose();
    }
}
