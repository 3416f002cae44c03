using FlMicroservices.KafkaMock;

namespace FlMicroservices.Integration.Tests;

/// <summary>
/// A Kafka-protocol broker for the tests: FL_KAFKA_BOOTSTRAP when set (a real cluster), otherwise librdkafka's mock cluster
/// hosted in this process (no Kafka broker package exists on the development machines; see docs/infrastructure.md).
/// </summary>
public sealed class KafkaClusterFixture : IDisposable
{
    private readonly MockKafkaCluster? _mock;

    public KafkaClusterFixture()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("FL_KAFKA_BOOTSTRAP");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            BootstrapServers = fromEnvironment;
            Description = $"Kafka from FL_KAFKA_BOOTSTRAP ({fromEnvironment})";
            return;
        }
        _mock = new MockKafkaCluster();
        BootstrapServers = _mock.BootstrapServers;
        Description = $"librdkafka mock cluster at {BootstrapServers}";
    }

    public string BootstrapServers { get; }
    public string Description { get; }

    /// <summary>A topic name no other test uses (the mock creates it with 4 partitions on first produce).</summary>
    public static string NewTopic(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public void Dispose() => _mock?.Dispose();
}

[CollectionDefinition(Name)]
public sealed class KafkaCollection : ICollectionFixture<KafkaClusterFixture>
{
    public const string Name = "kafka";
}
