using System.Collections.Concurrent;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Testing;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FlMicroservices.Integration.Tests.Messaging;

/// <summary>Probe messages of these tests (MassTransit message types must live in a namespace).</summary>
public sealed record Probe(Guid Id, int FailTimes);

/// <summary>The platform's MassTransit configuration over a real RabbitMQ broker: retries, dead-lettering, nothing lost.</summary>
[Collection(FlMicroservices.Testing.RabbitMqFixture.Collection)]
public sealed class RabbitMqMessagingTests(FlMicroservices.Testing.RabbitMqFixture broker)
{
    [Fact]
    public async Task A_consumer_that_keeps_throwing_is_retried_then_its_message_is_dead_lettered_intact()
    {
        var probe = new Probe(Guid.NewGuid(), FailTimes: int.MaxValue);
        var attempts = new ConcurrentDictionary<Guid, int>();
        var deadLetters = new ConcurrentBag<Probe>();
        var queue = $"probe-{Guid.NewGuid():N}";
        using var host = await StartAsync(queue, attempts, deadLetters);

        await host.Services.GetRequiredService<IBus>().Publish(probe);
        await Eventually.TrueAsync(() => deadLetters.Any(p => p.Id == probe.Id), TimeSpan.FromSeconds(60), $"the message to reach {queue}_error");

        // The first attempt, RetryCount = 2 quick retries and RedeliveryCount = 1 slow one.
        Assert.Equal(4, attempts[probe.Id]);
        Assert.Equal(probe, deadLetters.Single(p => p.Id == probe.Id));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_consumer_that_fails_transiently_handles_the_message_once_and_nothing_is_dead_lettered()
    {
        var probe = new Probe(Guid.NewGuid(), FailTimes: 2);
        var attempts = new ConcurrentDictionary<Guid, int>();
        var deadLetters = new ConcurrentBag<Probe>();
        using var host = await StartAsync($"probe-{Guid.NewGuid():N}", attempts, deadLetters);

        await host.Services.GetRequiredService<IBus>().Publish(probe);
        await Eventually.TrueAsync(() => FlakyConsumer.Handled.ContainsKey(probe.Id), TimeSpan.FromSeconds(30), "the message to be handled");
        await Task.Delay(TimeSpan.FromSeconds(2)); // time for a wrong extra delivery or dead letter to show up

        Assert.Equal(3, attempts[probe.Id]);
        Assert.Equal(1, FlakyConsumer.Handled[probe.Id]);
        Assert.Empty(deadLetters);
        await host.StopAsync();
    }

    [Fact]
    public void A_malformed_broker_address_stops_start_up_with_a_message_naming_the_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "RabbitMq",
            ["ConnectionStrings:rabbitmq"] = "http://guest:secret@host/",
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => { new ServiceCollection().AddFlMessaging(configuration, _ => { }); });

        Assert.Contains("ConnectionStrings:rabbitmq", error.Message);
        Assert.DoesNotContain("secret", error.Message);
    }

    private async Task<IHost> StartAsync(string queue, ConcurrentDictionary<Guid, int> attempts, ConcurrentBag<Probe> deadLetters)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "RabbitMq",
            ["ConnectionStrings:rabbitmq"] = broker.ConnectionString,
            ["Messaging:RetryCount"] = "2",
            ["Messaging:RetryInterval"] = "00:00:00.050",
            ["Messaging:RedeliveryCount"] = "1",
            ["Messaging:RedeliveryInterval"] = "00:00:00.200",
        });
        builder.Services.AddSingleton(attempts);
        builder.Services.AddSingleton(deadLetters);
        builder.Services.AddFlMessaging(builder.Configuration, bus =>
        {
            bus.AddConsumer<FlakyConsumer>().Endpoint(e => e.Name = queue);
            // An outside reader of the dead-letter queue, as an operator's tool would be.
            bus.AddConsumer<DeadLetterReader>().Endpoint(e =>
            {
                e.Name = queue + "_error";
                e.ConfigureConsumeTopology = false; // reads only what is dead-lettered, not the published messages
            });
        });
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.StartAsync(timeout.Token);
        return host;
    }

    private sealed class FlakyConsumer(ConcurrentDictionary<Guid, int> attempts) : IConsumer<Probe>
    {
        public static ConcurrentDictionary<Guid, int> Handled { get; } = new();

        public Task Consume(ConsumeContext<Probe> context)
        {
            var attempt = attempts.AddOrUpdate(context.Message.Id, 1, (_, n) => n + 1);
            if (attempt <= context.Message.FailTimes) throw new InvalidOperationException($"attempt {attempt} fails on purpose");
            Handled.AddOrUpdate(context.Message.Id, 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }
    }

    private sealed class DeadLetterReader(ConcurrentBag<Probe> deadLetters) : IConsumer<Probe>
    {
        public Task Consume(ConsumeContext<Probe> context)
        {
            deadLetters.Add(context.Message);
            return Task.CompletedTask;
        }
    }
}
