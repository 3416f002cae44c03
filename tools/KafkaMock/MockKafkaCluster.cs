using Confluent.Kafka;

namespace FlMicroservices.KafkaMock;

/// <summary>
/// librdkafka's built-in mock cluster (test.mock.num.brokers), which speaks the Kafka protocol over TCP on loopback, so
/// other processes (services, nodes, kcat) can use it as a broker. It lives as long as this object and keeps everything in
/// memory.
/// </summary>
/// <remarks>
/// For tests only: no Kafka broker package exists on the development machines. What it lacks compared with a real cluster
/// (see docs/infrastructure.md): CreateTopics (so topics are made with <see cref="CreateTopic"/>), DescribeConsumerGroups/ListConsumerGroups, a configurable retention (about
/// 5 MiB per partition, after which older records become unreadable). Topics are created with 4 partitions on first produce.
/// </remarks>
public sealed class MockKafkaCluster : IDisposable
{
    private readonly IAdminClient _host;

    public MockKafkaCluster(int brokers = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(brokers);
        var config = new AdminClientConfig();
        // No bootstrap servers: the client starts the mock cluster inside librdkafka.
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _host = new AdminClientBuilder(config).Build();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var metadata = _host.GetMetadata(TimeSpan.FromSeconds(2));
            if (metadata.Brokers.Count >= brokers)
            {
                BootstrapServers = string.Join(",", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}"));
                break;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The mock Kafka cluster did not report {brokers} brokers within 10 s.");
        }
    }

    /// <summary>
    /// Creates <paramref name="topic"/> as an operator would before the services start (the mock cannot answer CreateTopics,
    /// but makes a topic of 4 partitions when a client asks for its metadata).
    /// </summary>
    public void CreateTopic(string topic)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var metadata = _host.GetMetadata(topic, TimeSpan.FromSeconds(2));
            if (metadata.Topics.Any(t => t.Topic == topic && t.Error.Code == ErrorCode.NoError && t.Partitions.Count > 0)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The mock Kafka cluster did not create topic {topic} within 10 s.");
            Thread.Sleep(50);
        }
    }

    /// <summary>host:port of every mock broker, comma-separated: what clients use as bootstrap.servers.</summary>
    public string BootstrapServers { get; }

    public void Dispose() => _host.Dispose();
}
