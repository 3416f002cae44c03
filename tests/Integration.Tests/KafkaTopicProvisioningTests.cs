using Confluent.Kafka;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlMicroservices.Integration.Tests;

/// <summary>
/// Start-up provisioning of the update-stream topic and the Kafka security settings, against the mock cluster: it cannot answer
/// CreateTopics or SASL, which makes it a real broker for the failure paths (a real cluster runs the success path of Create).
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaTopicProvisioningTests(KafkaClusterFixture kafka)
{
    [Fact]
    public async Task A_present_topic_with_enough_partitions_passes_and_one_with_too_few_stops_start_up_naming_both_numbers()
    {
        var topic = kafka.NewTopic("provisioned"); // 4 partitions

        await Provisioner(new UpdateStreamOptions { Transport = "Kafka", Topic = topic, Partitions = 4 }).EnsureAsync(CancellationToken.None);
        var error = await Assert.ThrowsAsync<StartupCheckException>(() =>
            Provisioner(new UpdateStreamOptions { Transport = "Kafka", Topic = topic, Partitions = 8 }).EnsureAsync(CancellationToken.None));

        Assert.Contains($"'{topic}' has 4 partitions, fewer than UpdateStream:Partitions=8", error.Message);
        Assert.Contains("--partitions 8", error.Message);
    }

    [Fact]
    public async Task Verify_stops_start_up_when_the_topic_is_missing_and_None_leaves_it_to_the_broker()
    {
        var topic = $"missing-{Guid.NewGuid():N}";

        var error = await Assert.ThrowsAsync<StartupCheckException>(() =>
            Provisioner(new UpdateStreamOptions { Transport = "Kafka", Topic = topic, Provisioning = "Verify" }).EnsureAsync(CancellationToken.None));
        await Provisioner(new UpdateStreamOptions { Transport = "Kafka", Topic = topic, Provisioning = "None" }).EnsureAsync(CancellationToken.None);

        Assert.Contains($"Kafka topic '{topic}' does not exist and UpdateStream:Provisioning is Verify", error.Message);
    }

    [MockKafkaFact]
    public async Task A_topic_the_broker_cannot_create_stops_the_host_before_any_consumer_starts_with_what_to_do()
    {
        var topic = $"uncreatable-{Guid.NewGuid():N}";
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UpdateStream:Transport"] = "Kafka",
            ["UpdateStream:Topic"] = topic,
            ["UpdateStream:Partitions"] = "6",
            ["UpdateStream:RetentionHours"] = "48",
            ["ConnectionStrings:kafka"] = kafka.BootstrapServers,
            ["Storage:ModelStoreRoot"] = Path.Combine(Path.GetTempPath(), "fl-provision-" + Guid.NewGuid().ToString("N")),
        });
        builder.Services.AddFlInfrastructure(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<StartupCheckException>(() => host.StartAsync());

        Assert.Contains($"Kafka topic '{topic}' could not be created (6 partitions, replication factor the broker's default, retention.ms=172800000)", error.Message);
        Assert.Contains("UpdateStream:Provisioning=Verify", error.Message);
    }

    [MockKafkaFact]
    public async Task Sasl_settings_reach_the_Kafka_client_and_a_broker_without_SASL_gives_a_message_naming_the_protocol()
    {
        var security = new KafkaSecurityOptions { Protocol = "SaslPlaintext", SaslMechanism = "ScramSha512", SaslUsername = "fl", SaslPassword = "secret" };
        var provisioner = new KafkaTopicProvisioner(kafka.BootstrapServers, new UpdateStreamOptions { Transport = "Kafka", Topic = "any" }, security,
            NullLogger<KafkaTopicProvisioner>.Instance, brokerWait: TimeSpan.FromSeconds(8));

        var error = await Assert.ThrowsAsync<StartupCheckException>(() => provisioner.EnsureAsync(CancellationToken.None));

        Assert.Contains("did not answer within 8 s (UpdateStream:Security:Protocol=SaslPlaintext)", error.Message);
        Assert.Contains("SASL", error.Message);
    }

    [Fact]
    public void Security_settings_map_onto_every_client_config()
    {
        var ca = Path.GetTempFileName();
        try
        {
            var security = new KafkaSecurityOptions
            {
                Protocol = "SaslSsl", SaslMechanism = "ScramSha256", SaslUsername = "fl", SaslPassword = "pw", SslCaLocation = ca, SslVerifyHostName = false,
            };
            var producer = new ProducerConfig();
            var consumer = new ConsumerConfig();

            security.ApplyTo(producer);
            security.ApplyTo(consumer);

            foreach (var config in new ClientConfig[] { producer, consumer })
            {
                Assert.Equal(SecurityProtocol.SaslSsl, config.SecurityProtocol);
                Assert.Equal(SaslMechanism.ScramSha256, config.SaslMechanism);
                Assert.Equal("fl", config.SaslUsername);
                Assert.Equal("pw", config.SaslPassword);
                Assert.Equal(ca, config.SslCaLocation);
                Assert.Equal(SslEndpointIdentificationAlgorithm.None, config.SslEndpointIdentificationAlgorithm);
            }
        }
        finally
        {
            File.Delete(ca);
        }
    }

    [Theory]
    [InlineData("SaslSsl", "UpdateStream:Security:SaslPassword: is required when Protocol is SaslSsl")]
    [InlineData("Plaintext", "SASL settings are given but Protocol is Plaintext")]
    [InlineData("Tls", "UpdateStream:Security:Protocol must be Plaintext, Ssl, SaslPlaintext or SaslSsl")]
    public void Incomplete_or_contradictory_security_settings_stop_start_up_naming_the_setting(string protocol, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UpdateStream:Transport"] = "Kafka",
            ["ConnectionStrings:kafka"] = "localhost:9092",
            ["UpdateStream:Security:Protocol"] = protocol,
            ["UpdateStream:Security:SaslMechanism"] = "Plain",
            ["UpdateStream:Security:SaslUsername"] = "fl",
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddFlInfrastructure(configuration));

        Assert.StartsWith("Invalid configuration", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_certificate_file_that_does_not_exist_is_named()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-ca-{Guid.NewGuid():N}.pem");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UpdateStream:Transport"] = "Kafka",
            ["ConnectionStrings:kafka"] = "localhost:9092",
            ["UpdateStream:Security:Protocol"] = "Ssl",
            ["UpdateStream:Security:SslCaLocation"] = missing,
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddFlInfrastructure(configuration));

        Assert.Contains($"UpdateStream:Security:SslCaLocation: '{missing}' does not exist", error.Message);
    }

    private KafkaTopicProvisioner Provisioner(UpdateStreamOptions options) =>
        new(kafka.BootstrapServers, options, new KafkaSecurityOptions(), NullLogger<KafkaTopicProvisioner>.Instance, brokerWait: TimeSpan.FromSeconds(20));
}
