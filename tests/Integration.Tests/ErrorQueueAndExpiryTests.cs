using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace FlMicroservices.Integration.Tests.Messaging;

/// <summary>A message no consumer of these tests can handle.</summary>
public sealed record Poison(Guid Id);

/// <summary>Leaks over a real RabbitMQ: failed messages show in readiness, and a gone instance's queue expires.</summary>
[Collection(FlMicroservices.Testing.RabbitMqFixture.Collection)]
public sealed class ErrorQueueAndExpiryTests(FlMicroservices.Testing.RabbitMqFixture broker)
{
    [Fact]
    public async Task A_message_dead_lettered_to_an_error_queue_turns_readiness_degraded_with_the_queue_and_its_depth()
    {
        var queue = $"poison-{Guid.NewGuid():N}";
        var gauge = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Infrastructure.Telemetry.FlTelemetry.MeterName && instrument.Name == "fl.messaging.error_queue.depth")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "fl.queue" && tag.Value is string name) gauge[name] = value;
        });
        listener.Start();
        using var host = await StartAsync(bus => bus.AddConsumer<ThrowingConsumer>().Endpoint(e => e.Name = queue));
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var before = await ErrorQueueEntryAsync(health);
        Assert.Equal(HealthStatus.Healthy, before.Status);

        await host.Services.GetRequiredService<IBus>().Publish(new Poison(Guid.NewGuid()));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var after = before;
        while (after.Status == HealthStatus.Healthy && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            after = await ErrorQueueEntryAsync(health);
        }

        Assert.Equal(HealthStatus.Degraded, after.Status);
        Assert.Equal($"1 failed messages in {queue}_error (1)", after.Description);
        Assert.Equal(1u, after.Data[$"{queue}_error"]);
        Assert.Equal(1, gauge[$"{queue}_error"]); // the same depth as a metric, fl.messaging.error_queue.depth
        await host.StopAsync();
    }

    [Fact]
    public async Task An_instance_queue_with_an_expiry_is_deleted_by_the_broker_once_its_consumer_is_gone()
    {
        var queue = $"instance-{Guid.NewGuid():N}";
        using (var host = await StartAsync(bus => bus.AddConsumer<ThrowingConsumer>().Endpoint(e =>
               {
                   e.Name = queue;
                   e.AddConfigureEndpointCallback(QueueExpiry.After(TimeSpan.FromSeconds(2)));
               })))
        {
            Assert.True(await ExistsAsync(queue));
            await host.StopAsync();
        }

        // A passive declare renews the queue's lease, so each look comes well after the 2 s expiry.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        do await Task.Delay(TimeSpan.FromSeconds(5));
        while (await ExistsAsync(queue) && DateTime.UtcNow < deadline);
        Assert.False(await ExistsAsync(queue), $"{queue} still exists a minute after its consumer left (x-expires 2 s)");
    }

    private static async Task<HealthReportEntry> ErrorQueueEntryAsync(HealthCheckService health) =>
        (await health.CheckHealthAsync(r => r.Name == "error-queues")).Entries["error-queues"];

    private async Task<bool> ExistsAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(broker.ConnectionString) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            await channel.QueueDeclarePassiveAsync(queue);
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
    }

    private async Task<IHost> StartAsync(Action<IBusRegistrationConfigurator> addConsumers)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "RabbitMq",
            ["ConnectionStrings:rabbitmq"] = broker.ConnectionString,
            ["Messaging:RetryCount"] = "0",
            ["Messaging:RedeliveryCount"] = "0",
        });
        builder.Services.AddFlMessaging(builder.Configuration, addConsumers);
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.StartAsync(timeout.Token);
        return host;
    }

    private sealed class ThrowingConsumer : IConsumer<Poison>
    {
        public Task Consume(ConsumeContext<Poison> context) => throw new InvalidOperationException("poison, on purpose");
    }
}
