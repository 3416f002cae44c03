using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Infrastructure.UpdateStream;

/// <summary>Makes sure the update-stream topic exists with the configured partitions, replication and retention before anything produces or consumes.</summary>
/// <remarks>Runs once at start-up (a hosted service registered before the consumers); the modes and their errors are in docs/deployment.md.</remarks>
public sealed class KafkaTopicProvisioner(
    string bootstrapServers, UpdateStreamOptions options, KafkaSecurityOptions security, ILogger<KafkaTopicProvisioner> logger, TimeSpan? brokerWait = null)
    : IHostedService
{
    /// <summary>How long start-up waits for the brokers to answer before it gives up with a message (60 s by default).</summary>
    public TimeSpan BrokerWait { get; } = brokerWait ?? TimeSpan.FromSeconds(60);

    public Task StartAsync(CancellationToken cancellationToken) => EnsureAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Creates or checks the topic per UpdateStream:Provisioning; throws <see cref="StartupCheckException"/> naming what to do when it cannot.</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (options.Provisioning == "None") return;
        var config = new AdminClientConfig { BootstrapServers = bootstrapServers, SocketTimeoutMs = 10_000 };
        security.ApplyTo(config);
        string? lastError = null;
        using var admin = new AdminClientBuilder(config)
            .SetErrorHandler((_, error) => lastError = $"{error.Reason} ({error.Code})")
            .SetLogHandler((_, _) => { }) // errors arrive through the error handler; librdkafka's own log lines would repeat them
            .Build();
        var existing = await ReadTopicAsync(admin, () => lastError, cancellationToken);
        if (existing is not null)
        {
            CheckExisting(existing);
            return;
        }
        if (options.Provisioning == "Verify")
            throw new StartupCheckException(
                $"Kafka topic '{options.Topic}' does not exist and UpdateStream:Provisioning is Verify. Create it ({Settings}) or set UpdateStream:Provisioning=Create.");
        var spec = new TopicSpecification
        {
            Name = options.Topic,
            NumPartitions = options.Partitions,
            ReplicationFactor = options.ReplicationFactor,
            Configs = new Dictionary<string, string> { ["retention.ms"] = RetentionMs },
        };
        try
        {
            await admin.CreateTopicsAsync([spec], new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(30), OperationTimeout = TimeSpan.FromSeconds(30) });
            logger.LogInformation("Created Kafka topic {Topic} ({Settings})", options.Topic, Settings);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.TopicAlreadyExists))
        {
            // Another process created it meanwhile: check what it made.
            var made = await ReadTopicAsync(admin, () => lastError, cancellationToken)
                ?? throw new StartupCheckException($"Kafka says topic '{options.Topic}' exists but does not list it.");
            CheckExisting(made);
        }
        catch (CreateTopicsException e)
        {
            throw CannotCreate(string.Join("; ", e.Results.Select(r => $"{r.Error.Reason} ({r.Error.Code})")));
        }
        catch (KafkaException e)
        {
            throw CannotCreate($"{e.Error.Reason} ({e.Error.Code}){(lastError is null ? "" : $"; last client error: {lastError}")}");
        }
    }

    private string RetentionMs => ((long)options.RetentionHours * 3_600_000).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string Settings =>
        $"{options.Partitions} partitions, replication factor {(options.ReplicationFactor < 0 ? "the broker's default" : options.ReplicationFactor)}, retention.ms={RetentionMs}";

    private StartupCheckException CannotCreate(string reason) => new(
        $"Kafka topic '{options.Topic}' could not be created ({Settings}): {reason}. Create it yourself with those settings and set " +
        "UpdateStream:Provisioning=Verify, or fix the cause (e.g. UpdateStream:ReplicationFactor above the number of brokers, a user without CREATE permission).");

    private void CheckExisting(TopicMetadata topic)
    {
        if (topic.Partitions.Count < options.Partitions)
            throw new StartupCheckException(
                $"Kafka topic '{options.Topic}' has {topic.Partitions.Count} partitions, fewer than UpdateStream:Partitions={options.Partitions}. " +
                $"Add partitions (kafka-topics.sh --alter --topic {options.Topic} --partitions {options.Partitions}) or lower the setting.");
        logger.LogInformation("Kafka topic {Topic} is present with {Partitions} partitions", options.Topic, topic.Partitions.Count);
    }

    // Lists every topic (a request for one named topic could make a broker auto-create it), retrying until the brokers answer.
    private async Task<TopicMetadata?> ReadTopicAsync(IAdminClient admin, Func<string?> lastError, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + BrokerWait;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var metadata = await Task.Run(() => admin.GetMetadata(TimeSpan.FromSeconds(5)), cancellationToken);
                return metadata.Topics.FirstOrDefault(t => t.Topic == options.Topic && t.Error.Code == ErrorCode.NoError);
            }
            catch (KafkaException e) when (DateTime.UtcNow < deadline)
            {
                logger.LogWarning("Kafka at {Servers} does not answer yet: {Reason}", bootstrapServers, lastError() ?? e.Error.Reason);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (KafkaException e)
            {
                throw new StartupCheckException(
                    $"Kafka at {bootstrapServers} did not answer within {BrokerWait.TotalSeconds:0} s (UpdateStream:Security:Protocol={security.Protocol}): {lastError() ?? e.Error.Reason}.");
            }
        }
    }
}
