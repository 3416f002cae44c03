using System.Text.Json.Nodes;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Schemas;
using Json.Schema;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;

namespace FlMicroservices.Integration.Tests.Messaging;

/// <summary>
/// Events published by the platform's own bus configuration on a real RabbitMQ, read raw from queues an outsider binds (no MassTransit
/// on the reading side), match the committed schemas in docs/events/schemas; messages with a renamed or mistyped field do not.
/// </summary>
[Collection(FlMicroservices.Testing.RabbitMqFixture.Collection)]
public sealed class EventWireFormatTests(FlMicroservices.Testing.RabbitMqFixture broker)
{
    private static readonly EvaluationOptions Strict = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    [Fact]
    public async Task Published_events_on_the_wire_match_the_envelope_and_message_schemas()
    {
        var taskId = $"wire-{Guid.NewGuid():N}"[..20];
        var events = SampleEvents(taskId);
        await using var connection = await new ConnectionFactory { Uri = new Uri(broker.ConnectionString) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var queues = new Dictionary<Type, string>();
        foreach (var type in events.Select(e => e.GetType()).Distinct())
            queues[type] = await BindQueueAsync(channel, ContractMessages.ExchangeName(type));

        using var host = await PlatformBus.StartAsync(broker.ConnectionString);
        var bus = host.Services.GetRequiredService<IBus>();
        foreach (var message in events) await bus.Publish(message, message.GetType());

        var envelopeSchema = LoadSchema(MessageSchemas.EnvelopeFile);
        var checkedCount = 0;
        foreach (var group in events.GroupBy(e => e.GetType()))
        {
            var messageSchema = LoadSchema(MessageSchemas.FileName(group.Key));
            for (var i = 0; i < group.Count(); i++)
            {
                var (body, contentType) = await NextAsync(channel, queues[group.Key]);
                Assert.Equal("application/vnd.masstransit+json", contentType);
                var envelope = JsonNode.Parse(body)!;
                AssertValid(envelopeSchema, envelope, $"the envelope of {group.Key.Name}");
                Assert.Equal(ContractMessages.Urn(group.Key), (string?)envelope["messageType"]![0]);
                // What docs/events.md says of the envelope, beyond its schema.
                Assert.StartsWith("rabbitmq://", (string?)envelope["sourceAddress"]);
                Assert.Equal(ContractMessages.ExchangeName(group.Key), Uri.UnescapeDataString(new Uri((string)envelope["destinationAddress"]!).PathAndQuery).TrimStart('/'));
                Assert.True(Guid.TryParse((string?)envelope["messageId"], out _));
                Assert.IsType<JsonObject>(envelope["headers"]);
                Assert.NotNull((string?)envelope["host"]!["massTransitVersion"]);
                AssertValid(messageSchema, envelope["message"], group.Key.Name);
                if (group.Key == typeof(RoundCompleted) && (int?)envelope["message"]!["round"] == 2)
                    Assert.True(envelope["message"]!.AsObject().ContainsKey("accuracy"), "a null accuracy is written as null, not left out");
                Assert.Equal(taskId, (string?)(envelope["message"]!["taskId"] ?? envelope["message"]!["clientId"]));
                checkedCount++;
            }
        }
        Assert.Equal(events.Length, checkedCount);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_round_completed_with_a_renamed_missing_or_mistyped_field_does_not_validate()
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(broker.ConnectionString) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var queue = await BindQueueAsync(channel, ContractMessages.ExchangeName(typeof(RoundCompleted)));
        using var host = await PlatformBus.StartAsync(broker.ConnectionString);
        await host.Services.GetRequiredService<IBus>().Publish(SampleRound("mutations", accuracy: 0.8125));
        var (body, _) = await NextAsync(channel, queue);
        await host.StopAsync();
        var schema = LoadSchema(MessageSchemas.FileName(typeof(RoundCompleted)));
        var message = JsonNode.Parse(body)!["message"]!.AsObject();
        AssertValid(schema, message, "the message as published");

        Assert.False(schema.Evaluate(Mutated(message, m => { m["taskID"] = m["taskId"]!.DeepClone(); m.Remove("taskId"); }), Strict).IsValid, "renamed taskId validated");
        Assert.False(schema.Evaluate(Mutated(message, m => m.Remove("accuracy")), Strict).IsValid, "missing accuracy validated");
        Assert.False(schema.Evaluate(Mutated(message, m => m["round"] = "3"), Strict).IsValid, "round as a string validated");
        Assert.False(schema.Evaluate(Mutated(message, m => m["completedAt"] = "yesterday"), Strict).IsValid, "a completedAt that is no date-time validated");
        Assert.False(schema.Evaluate(Mutated(message, m => m["contributors"]![0]!.AsObject().Remove("exampleCount")), Strict).IsValid,
            "a contributor without exampleCount validated");
        // Fields added later with defaults are optional: a message from an older publisher still validates.
        Assert.True(schema.Evaluate(Mutated(message, m => { m.Remove("evaluated"); m.Remove("notEvaluatedReason"); }), Strict).IsValid);
    }

    private static object[] SampleEvents(string taskId)
    {
        var spec = new TaskSpec
        {
            ModelName = "mlp",
            SampleShape = [1, 28, 28],
            ClassCount = 10,
            Rounds = 3,
            Training = new TrainingConfig(1, 32, 0.05),
            Privacy = new PrivacyConfig(true, 1.1, 1.0, 8, 1e-5) { Mechanism = PrivacyMechanism.Local, NoiseSeed = 7 },
            Strategy = "fedadam",
            StrategyParameters = new() { ["server-lr"] = "0.1" },
            Validation = new ValidationData { Kind = ValidationDataKind.Mnist, Path = "mnist" },
            RoundTimeout = TimeSpan.FromSeconds(90),
        };
        return
        [
            new TaskCreated(taskId, spec, DateTimeOffset.UtcNow),
            new RoundStarted(taskId, 1, 0, ["c1", "c2"], DateTimeOffset.UtcNow.AddMinutes(1), spec.Training, spec.Privacy, 65_536, "mlp",
                "fedadam", spec.StrategyParameters, 0.5, 1),
            SampleRound(taskId, accuracy: 0.9123),
            SampleRound(taskId, accuracy: null) with { Round = 2, Succeeded = false, FailureReason = "quorum not met", NotEvaluatedReason = "no validation data" },
            new RewardsIssued(taskId, 1, [new ClientReward("c1", 0.75, 1.5m, 3.25m)], 1.5m),
            new PrivacyBudgetUpdated(taskId, 1, true, 0.42, 8, 1e-5),
            new SecAggClientMessage(taskId, 1, "c1", [1, 2, 3, 250]),
            new TaskCompleted(taskId, 2, 1, 0.9123, "2 rounds ran, 1 failed (round 2: quorum not met)", DateTimeOffset.UtcNow, false, 1),
            new ClientRegistered(taskId, new ClientCapabilities(600, 4, 8L << 30, ["mlp", "cnn"], [new ClientDataset("mnist", [1, 28, 28], 10, 600)], 0.25),
                DateTimeOffset.UtcNow),
        ];
    }

    private static RoundCompleted SampleRound(string taskId, double? accuracy) =>
        new(taskId, 1, 1, true, false, accuracy, accuracy is null ? null : 0.31, ["c1", "c2"],
            [new Contribution("c1", 600, 1.25, 0.4), new Contribution("c2", 580, 1.5, 0.45)], [new RejectedUpdate("c3", "late")], ["c4"], null,
            DateTimeOffset.UtcNow, Evaluated: accuracy is not null);

    private static JsonObject Mutated(JsonObject message, Action<JsonObject> change)
    {
        var copy = message.DeepClone().AsObject();
        change(copy);
        return copy;
    }

    private static void AssertValid(JsonSchema schema, JsonNode? instance, string what)
    {
        var result = schema.Evaluate(instance, Strict);
        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key} {e.Value}"));
        Assert.True(result.IsValid, $"{what} does not match its schema: {string.Join("; ", errors)}\n{instance?.ToJsonString()}");
    }

    private static JsonSchema LoadSchema(string file) =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(RepositoryRoot, "docs", "events", "schemas", file)));

    private static async Task<string> BindQueueAsync(IChannel channel, string exchange)
    {
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        var queue = (await channel.QueueDeclareAsync($"wire-test-{Guid.NewGuid():N}", durable: false, exclusive: true, autoDelete: false)).QueueName;
        await channel.QueueBindAsync(queue, exchange, routingKey: "");
        return queue;
    }

    private static async Task<(byte[] Body, string? ContentType)> NextAsync(IChannel channel, string queue)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } delivery) return (delivery.Body.ToArray(), delivery.BasicProperties.ContentType);
            await Task.Delay(50);
        }
        throw new TimeoutException($"nothing arrived on {queue} within 60 s");
    }


    private static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "FlMicroservices.sln"))) return dir.FullName;
            throw new InvalidOperationException($"No FlMicroservices.sln above {AppContext.BaseDirectory}.");
        }
    }
}
