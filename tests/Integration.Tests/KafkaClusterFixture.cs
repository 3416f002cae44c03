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

    /// <summary>A topic no other test uses, made in the mock as an operator would (4 partitions); a real cluster gets it from the services' provisioning.</summary>
    public string NewTopic(string prefix)
    {
        var topic = $"{prefix}-{Guid.NewGuid():N}";
        _mock?.CreateTopic(topic);
        return topic;
    }

    public void Dispose() => _mock?.Dispose();
}

[CollectionDefinition(Name)]
public sealed class KafkaCollection : ICollectionFixture<KafkaClusterFixture>
{
    public const string Name = "kafka";
}

/// <summary>A fact that needs the mock cluster's limits (no CreateTopics, no SASL): skipped, saying so, when FL_KAFKA_BOOTSTRAP names a real cluster.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class MockKafkaFactAttribute : FactAttribute
{
    public MockKafkaFactAttribute()
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("FL_KAFKA_BOOTSTRAP")))
            Skip = "FL_KAFKA_BOOTSTRAP names a real Kafka cluster; this test needs a broker that cannot create topics or speak SASL (librdkafka's mock).";
    }
}
