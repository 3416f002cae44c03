using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
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
using FlMicroservices.Testing;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>Where a harness client stops, or how it misbehaves.</summary>
public enum HarnessStop
{
    None,
    BeforeAdvertiseKeys,
    AfterAdvertiseKeys,
    AfterShareKeys,
    AfterMaskedInput,
}

/// <summary>What one harness client does in a round.</summary>
public sealed record HarnessBehaviour
{
    public HarnessStop Stop { get; init; }

    /// <summary>Protocol ids of the holders whose share ciphertexts this dealer corrupts (one flipped byte).</summary>
    public IReadOnlyCollection<int> CorruptSharesFor { get; init; } = [];

    /// <summary>Sends bytes that are no protocol message instead of its AdvertiseKeys.</summary>
    public bool GarbageAdvertiseKeys { get; init; }

    /// <summary>Also streams its update in the clear (float32 slices) once the round is under way.</summary>
    public bool SendsPlainSlices { get; init; }

    /// <summary>Streams only this many of its masked slices (null: all of them).</summary>
    public int? MaskedSlicesSent { get; init; }

    /// <summary>Never sends the completion message of its masked input.</summary>
    public bool SkipsCompletion { get; init; }

    /// <summary>Sends a completion message whose digest does not match its slices.</summary>
    public bool WrongDigest { get; init; }
}

/// <summary>
/// The aggregation service in an embedded host (in-memory MassTransit, in-process update stream, file model store) with
/// test clients that speak the secure-aggregation protocol over the same transports a node uses. Records every record the
/// aggregation service's stream consumer read.
/// </summary>
public sealed class SecureAggregationHarness : IAsyncDisposable
{
    private readonly HarnessHost _host;

    private SecureAggregationHarness(HarnessHost host, string root, HarnessClients clients, RecordingStreams consumed)
    {
        _host = host;
        Root = root;
        Clients = clients;
        Consumed = consumed;
    }

    public string Root { get; }
    public HarnessClients Clients { get; }
    public RecordingStreams Consumed { get; }
    public IModelStore Models => _host.Services.GetRequiredService<IModelStore>();
    public IBus Bus => _host.Bus;

    public static async Task<SecureAggregationHarness> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "fl-secagg-" + Guid.NewGuid().ToString("N"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ModelStoreRoot"] = Path.Combine(root, "models"),
            ["Aggregation:CheckpointDirectory"] = "", // this harness runs without checkpoints
        }).Build();
        var stream = new InProcessUpdateStream(3);
        var consumed = new RecordingStreams(stream);
        var clients = new HarnessClients(stream);
        // MassTransit's test harness carries the bus; the aggregation service's hosted services start with it.
        var host = await HarnessHost.StartAsync(services =>
        {
            services.AddLogging(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning).AddFilter("MassTransit", LogLevel.Error));
            services.AddSingleton<IConfiguration>(configuration);
            services.AddSingleton(stream);
            services.AddSingleton<IUpdateStreamProducer>(stream);
            services.AddSingleton<IUpdateStreamConsumerFactory>(consumed);
            services.AddSingleton(clients);
            services.AddFlInfrastructure(configuration);
            services.AddAggregationService(configuration);
        }, bus =>
        {
            bus.AddAggregationConsumers();
            bus.AddConsumer<HarnessServerMessageConsumer>();
            bus.AddConsumer<HarnessAggregatedConsumer>();
        });
        return new SecureAggregationHarness(host, root, clients, consumed);
    }

    /// <summary>Stores <paramref name="global"/> as version 0 of <paramref name="taskId"/>.</summary>
    public Task SaveInitialModelAsync(string taskId, float[] global) =>
        Models.SaveVersionAsync(new ModelVersionInfo(taskId, 0, 0, null, global.Length, "", null, null, false, DateTimeOffset.UtcNow), global, CancellationToken.None);

    /// <summary>Announces the round (as the selector would), lets the clients play, and returns the service's RoundAggregated.</summary>
    public async Task<RoundAggregated> RunRoundAsync(RoundStarted started, IReadOnlyDictionary<string, float[]> updates,
        IReadOnlyDictionary<string, HarnessBehaviour> behaviours, TimeSpan wait)
    {
        Clients.Prepare(started, updates, behaviours);
        await Bus.Publish(started);
        await Clients.StartAsync(started, Bus);
        using var timeout = new CancellationTokenSource(wait);
        while (true)
        {
            var aggregated = await Clients.Aggregated.Reader.ReadAsync(timeout.Token);
            if (aggregated.TaskId == started.TaskId && aggregated.Round == started.Round) return aggregated;
        }
    }

    public bool CandidateExists(string taskId) => Directory.Exists(Path.Combine(Root, "models", taskId, "candidates"))
        && Directory.EnumerateFiles(Path.Combine(Root, "models", taskId, "candidates")).Any();

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The aggregation service's update-stream consumer, recording what it reads (task, round, client, element type).</summary>
public sealed class RecordingStreams(InProcessUpdateStream inner) : IUpdateStreamConsumerFactory
{
    public ConcurrentQueue<(string Task, int Round, string Client, ElementType Type)> Records { get; } = new();

    public IUpdateStreamConsumer Create(string groupId) => new Consumer(inner.Create(groupId), this);

    private sealed class Consumer(IUpdateStreamConsumer inner, RecordingStreams owner) : IUpdateStreamConsumer
    {
        public async IAsyncEnumerable<StreamRecord> ConsumeAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var record in inner.ConsumeAsync(cancellationToken))
            {
                try
                {
                    var slice = UpdateSliceCodec.Decode(record.Value);
                    owner.Records.Enqueue((slice.TaskId, slice.Round, slice.ClientId, slice.ElementType));
                }
                catch (MalformedSliceException) { }
                yield return record;
            }
        }

        public ValueTask CommitAsync(StreamRecord record, CancellationToken cancellationToken) => inner.CommitAsync(record, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

/// <summary>The test's participants: a SecAggClient each, driven by the service's messages like a node drives its clients.</summary>
public sealed class HarnessClients(IUpdateStreamProducer stream)
{
    private readonly ConcurrentDictionary<(string Task, int Round, string Client), Participant> _participants = new();

    public Channel<RoundAggregated> Aggregated { get; } = Channel.CreateUnbounded<RoundAggregated>();

    /// <summary>Every server message the participants received, by kind.</summary>
    public ConcurrentQueue<SecAggMessageKind> Received { get; } = new();

    public void Prepare(RoundStarted started, IReadOnlyDictionary<string, float[]> updates, IReadOnlyDictionary<string, HarnessBehaviour> behaviours)
    {
        var length = updates.Values.First().Length;
        var privacy = started.Privacy;
        var setup = SecAggRoundSetup.Create(started.TaskId, started.Round, started.ModelVersion, started.Seed, started.Participants, length,
            privacy.SecureAggregation == SecureAggregationMode.SecAggPlus, privacy.SecureAggregationClip,
            privacy.SecureAggregationThreshold, privacy.SecureAggregationDegree);
        foreach (var id in started.Participants)
        {
            setup.TryGetSlot(id, out var slot);
            _participants[(started.TaskId, started.Round, id)] = new Participant(started, setup, id, slot, updates[id],
                behaviours.GetValueOrDefault(id) ?? new HarnessBehaviour());
        }
    }

    public async Task StartAsync(RoundStarted started, IPublishEndpoint publish)
    {
        foreach (var id in started.Participants)
        {
            var p = _participants[(started.TaskId, started.Round, id)];
            if (p.Behaviour.Stop == HarnessStop.BeforeAdvertiseKeys) continue;
            var payload = p.Behaviour.GarbageAdvertiseKeys ? [1, 0, 0, 0, 7] : SecAggWire.Encode(p.Client.AdvertiseKeys());
            await publish.Publish(new SecAggClientMessage(started.TaskId, started.Round, id, payload));
        }
    }

    public async Task OnServerMessageAsync(SecAggServerMessage message, IPublishEndpoint publish)
    {
        if (!_participants.TryGetValue((message.TaskId, message.Round, message.RecipientClientId), out var p)) return;
        var decoded = SecAggWire.Decode(message.Payload);
        Received.Enqueue(decoded.Kind);
        var started = p.Started;
        switch (decoded)
        {
            case KeyDirectory directory:
            {
                if (p.Behaviour.SendsPlainSlices)
                {
                    foreach (var slice in UpdateSliceCodec.Slice(started.TaskId, started.Round, p.Id, p.Update, 10, started.SliceElements))
                        await stream.ProduceAsync(slice, CancellationToken.None);
                }
                if (p.Behaviour.Stop == HarnessStop.AfterAdvertiseKeys) return;
                ShareKeys shares;
                lock (p) shares = p.Client.ShareKeys(directory);
                if (p.Behaviour.CorruptSharesFor.Count > 0)
                {
                    shares = shares with
                    {
                        Shares = shares.Shares.Select(s =>
                        {
                            if (!p.Behaviour.CorruptSharesFor.Contains(s.HolderId)) return s;
                            var ciphertext = (byte[])s.Ciphertext.Clone();
                            ciphertext[5] ^= 0x40;
                            return s with { Ciphertext = ciphertext };
                        }).ToArray(),
                    };
                }
                await publish.Publish(new SecAggClientMessage(started.TaskId, started.Round, p.Id, SecAggWire.Encode(shares)));
                break;
            }
            case ShareDelivery delivery:
            {
                if (p.Behaviour.Stop == HarnessStop.AfterShareKeys) return;
                MaskedInput masked;
                lock (p) masked = p.Client.MaskInput(delivery, p.Update);
                var slices = UpdateSliceCodec.SliceMasked(started.TaskId, started.Round, p.Id, masked.MaskedVector, 1, started.SliceElements).ToList();
                foreach (var slice in slices.Take(p.Behaviour.MaskedSlicesSent ?? slices.Count)) await stream.ProduceAsync(slice, CancellationToken.None);
                if (p.Behaviour.SkipsCompletion) return;
                var digest = p.Behaviour.WrongDigest ? UpdateDigest.Of([.. slices.Take(slices.Count - 1), slices[0]]) : UpdateDigest.Of(slices);
                await publish.Publish(new MaskedUpdateSubmitted(started.TaskId, started.Round, p.Id, slices.Count, masked.MaskedVector.Length,
                    digest, SecAggWire.Encode(new MaskedInput(p.Slot, [], masked.Complaints)), 10 + p.Slot,
                    new LocalMetrics(0.5, 1, 1)));
                break;
            }
            case UnmaskingRequest request:
            {
                if (p.Behaviour.Stop == HarnessStop.AfterMaskedInput) return;
                UnmaskingResponse response;
                lock (p) response = p.Client.Unmask(request);
                await publish.Publish(new SecAggClientMessage(started.TaskId, started.Round, p.Id, SecAggWire.Encode(response)));
                break;
            }
        }
    }

    private sealed class Participant(RoundStarted started, SecAggRoundSetup setup, string id, int slot, float[] update, HarnessBehaviour behaviour)
    {
        public RoundStarted Started { get; } = started;
        public string Id { get; } = id;
        public int Slot { get; } = slot;
        public float[] Update { get; } = update;
        public HarnessBehaviour Behaviour { get; } = behaviour;
        public SecAggClient Client { get; } = new(setup.Parameters, slot);
    }
}

public sealed class HarnessServerMessageConsumer(HarnessClients clients) : IConsumer<SecAggServerMessage>
{
    public Task Consume(ConsumeContext<SecAggServerMessage> context) => clients.OnServerMessageAsync(context.Message, context);
}

public sealed class HarnessAggregatedConsumer(HarnessClients clients) : IConsumer<RoundAggregated>
{
    public Task Consume(ConsumeContext<RoundAggregated> context) => clients.Aggregated.Writer.WriteAsync(context.Message).AsTask();
}
