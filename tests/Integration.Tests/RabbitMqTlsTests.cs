using System.Collections.Concurrent;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Testing;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace FlMicroservices.Integration.Tests.Messaging;

/// <summary>A probe that crosses a TLS connection.</summary>
public sealed record TlsProbe(Guid Id);

/// <summary>One RabbitMQ node with an AMQPS listener whose certificate a throwaway private CA signed.</summary>
public sealed class TlsBrokerFixture : IAsyncLifetime
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("fl-rabbit-tls-").FullName;
    public TestCertificates Certificates { get; private set; } = null!;
    public LocalRabbitMqServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Certificates = TestCertificates.Create(Folder);
        Server = await LocalRabbitMqServer.StartAsync(tls: Certificates);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}

/// <summary>The platform's bus over amqps:// to a real RabbitMQ node whose certificate a private CA signed.</summary>
public sealed class RabbitMqTlsTests(TlsBrokerFixture broker) : IClassFixture<TlsBrokerFixture>
{
    private readonly string _folder = broker.Folder;
    private readonly TestCertificates _certificates = broker.Certificates;
    private readonly LocalRabbitMqServer _server = broker.Server;

    [Fact]
    public async Task Messages_cross_an_amqps_connection_checked_against_the_private_CA()
    {
        var received = new ConcurrentBag<Guid>();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "RabbitMq",
            ["ConnectionStrings:rabbitmq"] = _server.TlsConnectionString,
            ["Messaging:TlsCaCertificate"] = _certificates.CaCertificate,
        });
        builder.Services.AddSingleton(received);
        builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddConsumer<TlsProbeConsumer>().Endpoint(e => e.Name = $"tls-probe-{Guid.NewGuid():N}"));
        using var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await host.StartAsync(timeout.Token);
        var probe = new TlsProbe(Guid.NewGuid());

        await host.Services.GetRequiredService<IBus>().Publish(probe, timeout.Token);
        while (!received.Contains(probe.Id) && !timeout.IsCancellationRequested) await Task.Delay(50);

        Assert.Contains(probe.Id, received);
        await host.StopAsync();
    }

    [Fact]
    public async Task Without_the_CA_the_broker_certificate_is_refused_and_with_it_accepted()
    {
        var uri = new Uri(_server.TlsConnectionString);
        var queues = new ErrorQueues();
        queues.AddEndpoint("nothing-here");
        var withCa = BrokerTls.For(uri, new MessagingOptions { TlsCaCertificate = _certificates.CaCertificate });
        var systemStoreOnly = BrokerTls.For(uri, new MessagingOptions());

        await using var trusting = new ErrorQueueHealthCheck(uri, queues, withCa);
        await using var refusing = new ErrorQueueHealthCheck(uri, queues, systemStoreOnly);
        var accepted = await trusting.CheckHealthAsync(new HealthCheckContext());
        var refused = await refusing.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, accepted.Status);
        Assert.Equal(HealthStatus.Degraded, refused.Status);
        Assert.StartsWith("error queues not readable", refused.Description);
    }

    [Theory]
    [InlineData("amqp://fl:pw@rabbitmq:5672/", "Messaging:TlsCaCertificate is set but ConnectionStrings:rabbitmq is not an amqps:// URI")]
    [InlineData("amqps://fl:pw@rabbitmq:5671/", "does not exist or cannot be read")]
    public void Tls_settings_that_cannot_work_stop_start_up_naming_the_setting(string broker, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "RabbitMq",
            ["ConnectionStrings:rabbitmq"] = broker,
            ["Messaging:TlsCaCertificate"] = Path.Combine(_folder, "no-such-ca.pem"),
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => { new ServiceCollection().AddFlMessaging(configuration, _ => { }); });

        Assert.StartsWith("Invalid configuration", error.Message);
        Assert.Contains(expected, error.Message);
    }

    private sealed class TlsProbeConsumer(ConcurrentBag<Guid> received) : IConsumer<TlsProbe>
    {
        public Task Consume(ConsumeContext<TlsProbe> context)
        {
            received.Add(context.Message.Id);
            return Task.CompletedTask;
        }
    }
}
