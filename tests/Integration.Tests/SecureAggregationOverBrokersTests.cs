using System.Collections.Concurrent;
using System.Threading.Channels;
using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Privacy.SecAgg;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.UpdateStream;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace FlMicroservices.Integration.Tests.SecureAggregation;

/// <summary>
/// One secure-aggregation round of the aggregation service over a real RabbitMQ broker and a Kafka-protocol update stream:
/// the protocol messages cross the broker, the masked slices cross Kafka, one client drops after sharing its keys, and the
/// model is the global model plus the mean of the survivors' clipped updates.
/// </summary>
[Collection(FlMicroservices.Testing.RabbitMqFixture.Collection)]
public sealed class SecureAggregationOverBrokersTests(FlMicroservices.Testing.RabbitMqFixture broker, ITestOutputHelper output)
{
    internal const int Parameters = 700;
    internal const int SliceElements = 256;
    private const double Clip = 0.25;

    [Fact]
    public async Task A_secure_round_with_a_dropout_aggregates_to_the_mean_of_the_clipped_survivors()
    {
        using var kafka = new KafkaClusterFixture();
        var root = Path.Combine(Path.GetTempPath(), "fl-secagg-brokers-" + Guid.NewGuid().ToString("N"));
        var driver = new SecAggDriver();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "RabbitMq",
            ["ConnectionStrings:rabbitmq"] = broker.ConnectionString,
            ["UpdateStream:Transport"] = "Kafka",
            ["UpdateStream:Topic"] = kafka.NewTopic("secagg"),
            ["ConnectionStrings:kafka"] = kafka.BootstrapServers,
            ["Storage:ModelStoreRoot"] = Path.Combine(root, "models"),
            ["Aggregation:CheckpointDirectory"] = "", // this test runs without checkpoints
            // The advertise-keys phase gets 12 of the round's 40 seconds: by default it would close after 10 % of the round,
            // which a loaded machine can spend declaring the exchanges of the first protocol messages (CI saw 0 of 5 keys in).
            // The dropout is seen when the masked-input phase closes, at 70 % of the round.
            ["Aggregation:SecureAggregation:AdvertiseKeysShare"] = "0.3",
            ["Aggregation:SecureAggregation:ShareKeysShare"] = "0.5",
            ["Aggregation:SecureAggregation:MaskedInputShare"] = "0.7",
        });
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("MassTransit", LogLevel.Error);
        builder.Services.AddSingleton(driver);
        builder.Services.AddFlMessaging(builder.Configuration, bus =>
        {
            bus.AddAggregationConsumers();
            bus.AddConsumer<DriverServerMessageConsumer>();
            bus.AddConsumer<DriverAggregatedConsumer>();
        });
        builder.Services.AddFlInfrastructure(builder.Configuration);
        builder.Services.AddAggregationService(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        try
        {
            var models = host.Services.GetRequiredService<IModelStore>();
            var rng = new Random(23);
            var global = Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            var taskId = $"secagg-brokers-{Guid.NewGuid():N}"[..40];
            await models.SaveVersionAsync(new ModelVersionInfo(taskId, 0, 0, null, Parameters, "", null, null, false, DateTimeOffset.UtcNow), global, CancellationToken.None);
            var participants = Enumerable.Range(0, 5).Select(i => $"client-{i}").ToArray();
            var updates = participants.ToDictionary(p => p, _ => Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray());
            var started = new RoundStarted(taskId, 1, 0, participants, DateTimeOffset.UtcNow.AddSeconds(40), new TrainingConfig(1, 10, 0.1),
                PrivacyConfig.None with { SecureAggregation = SecureAggregationMode.SecAgg, SecureAggregationClip = Clip },
                SliceElements, "logreg", "fedavg", [], 0.5, 5);
            var dropped = participants[3];
            driver.Prepare(started, updates, dropped, host.Services.GetRequiredService<IUpdateStreamProducer>());
            var bus = host.Services.GetRequiredService<IBus>();
            await bus.Publish(started);
            await driver.AdvertiseAsync(bus);

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var aggregated = await driver.Aggregated.Reader.ReadAsync(timeout.Token);
            output.WriteLine($"succeeded {aggregated.Succeeded}, contributors {string.Join(", ", aggregated.Contributors.Select(c => c.ClientId))}, " +
                $"dropouts {string.Join(", ", aggregated.Dropouts)}, failure {aggregated.FailureReason}; messages to clients: " +
                string.Join(", ", driver.Received.GroupBy(k => k).Select(g => $"{g.Key} x{g.Count()}")));

            Assert.True(aggregated.Succeeded, aggregated.FailureReason);
            Assert.Equal([dropped], aggregated.Dropouts);
            var survivors = participants.Where(p => p != dropped).ToArray();
            Assert.Equal(survivors, aggregated.Contributors.Select(c => c.ClientId).Order(StringComparer.Ordinal));
            var model = await models.LoadCandidateAsync(aggregated.AggregateRef!, CancellationToken.None);
            var step = new FixedPointQuantizer(Clip, participants.Length).Step;
            for (var i = 0; i < Parameters; i++)
            {
                var mean = survivors.Average(p => Math.Clamp((double)updates[p][i], -Clip, Clip));
                var expected = global[i] + mean;
                var scale = (float)Math.Max(Math.Abs(global[i]), Math.Max(Math.Abs(mean), Math.Abs(expected)));
                Assert.True(Math.Abs(model[i] - expected) <= step / 2 + 2 * ((double)MathF.BitIncrement(scale) - scale),
                    $"parameter {i}: {model[i]:R} vs {expected:R}");
            }
        }
        finally
        {
            await host.StopAsync();
            host.Dispose(); // the container disposes the one KafkaUpdateStream once per interface: its Dispose is idempotent
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}

/// <summary>The test's participants, each a SecAggClient, driven by the service's messages from the broker.</summary>
public sealed class SecAggDriver
{
    private readonly ConcurrentDictionary<string, (SecAggClient Client, int Slot)> _clients = new(StringComparer.Ordinal);
    private RoundStarted _started = null!;
    private IReadOnlyDictionary<string, float[]> _updates = null!;
    private string _dropped = "";
    private IUpdateStreamProducer _stream = null!;

    public Channel<RoundAggregated> Aggregated { get; } = Channel.CreateUnbounded<RoundAggregated>();
    public ConcurrentQueue<SecAggMessageKind> Received { get; } = new();

    public void Prepare(RoundStarted started, IReadOnlyDictionary<string, float[]> updates, string dropped, IUpdateStreamProducer stream)
    {
        (_started, _updates, _dropped, _stream) = (started, updates, dropped, stream);
        var privacy = started.Privacy;
        var setup = SecAggRoundSetup.Create(started.TaskId, started.Round, started.ModelVersion, started.Seed, started.Participants,
            SecureAggregationOverBrokersTests.Parameters, false, privacy.SecureAggregationClip);
        foreach (var id in started.Participants)
        {
            setup.TryGetSlot(id, out var slot);
            _clients[id] = (new SecAggClient(setup.Parameters, slot), slot);
        }
    }

    public async Task AdvertiseAsync(IPublishEndpoint publish)
    {
        foreach (var (id, (client, _)) in _clients)
            await publish.Publish(new SecAggClientMessage(_started.TaskId, _started.Round, id, SecAggWire.Encode(client.AdvertiseKeys())));
    }

    public async Task OnServerMessageAsync(SecAggServerMessage message, IPublishEndpoint publish)
    {
        if (message.TaskId != _started?.TaskId || !_clients.TryGetValue(message.RecipientClientId, out var entry)) return;
        var (client, slot) = entry;
        var decoded = SecAggWire.Decode(message.Payload);
        Received.Enqueue(decoded.Kind);
        ISecAggMessage? reply;
        lock (client)
        {
            reply = decoded switch
            {
                KeyDirectory d => client.ShareKeys(d),
                ShareDelivery d when message.RecipientClientId != _dropped => client.MaskInput(d, _updates[message.RecipientClientId]),
                UnmaskingRequest r => client.Unmask(r),
                _ => null,
            };
        }
        if (reply is MaskedInput masked)
        {
            var slices = UpdateSliceCodec.SliceMasked(_started.TaskId, _started.Round, message.RecipientClientId, masked.MaskedVector, 1, SecureAggregationOverBrokersTests.SliceElements).ToList();
            foreach (var slice in slices) await _stream.ProduceAsync(slice, CancellationToken.None);
            await publish.Publish(new MaskedUpdateSubmitted(_started.TaskId, _started.Round, message.RecipientClientId, slices.Count, SecureAggregationOverBrokersTests.Parameters,
                UpdateDigest.Of(slices), SecAggWire.Encode(new MaskedInput(slot, [], masked.Complaints)), 10, new LocalMetrics(0.1, 1, 1)));
        }
        else if (reply is not null)
        {
            await publish.Publish(new SecAggClientMessage(_started.TaskId, _started.Round, message.RecipientClientId, SecAggWire.Encode(reply)));
        }
    }
}

public sealed class DriverServerMessageConsumer(SecAggDriver driver) : IConsumer<SecAggServerMessage>
{
    public Task Consume(ConsumeContext<SecAggServerMessage> context) => driver.OnServerMessageAsync(context.Message, context);
}

public sealed class DriverAggregatedConsumer(SecAggDriver driver) : IConsumer<RoundAggregated>
{
    public Task Consume(ConsumeContext<RoundAggregated> context) => driver.Aggregated.Writer.WriteAsync(context.Message).AsTask();
}
