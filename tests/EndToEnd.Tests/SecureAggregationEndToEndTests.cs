using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Privacy.SecAgg;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.UpdateStream;
using FlMicroservices.ModelRegistry;
using FlMicroservices.Node;
using FlMicroservices.Node.SecAgg;
using FlMicroservices.PrivacyAccounting;
using FlMicroservices.Registry;
using FlMicroservices.Reward;
using FlMicroservices.Selector;
using FlMicroservices.Simulation;
using FlMicroservices.Training;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>
/// Secure aggregation through the whole embedded platform (registry, selector, aggregation, model registry, node of virtual
/// clients that train for real): the nodes mask, the aggregation service sees only UInt32 slices, and every round's model
/// is the global model plus the plain mean of the contributors' clipped updates.
/// </summary>
public sealed class SecureAggregationEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private const double Clip = 0.05;
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-e2e-secagg-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Theory]
    [InlineData(SecureAggregationMode.SecAggPlus, 0.0)]
    [InlineData(SecureAggregationMode.SecAgg, 0.3)]
    public async Task Nodes_mask_their_updates_and_each_model_is_the_global_plus_the_mean_of_the_clipped_updates(SecureAggregationMode mode, double dropout)
    {
        var options = new SimulationOptions { Dataset = "synthetic", Clients = 10, Fraction = 1.0, Seed = 2, OutDir = _out, Parallelism = 4 };
        Training.TorchRuntime.EnsureInitialized(1);
        var data = options.LoadData();
        var clients = VirtualClients.Create(data, options);
        var events = new EventLog();
        var observer = new RecordingObserver();
        var stream = new InProcessUpdateStream(4);
        var consumed = new RecordingConsumerFactory(stream);
        using var host = BuildHost(Path.Combine(_out, "models"), clients, data, events, observer, stream, consumed, dropout);
        await host.StartAsync();
        try
        {
            await WaitForAsync(events, m => m is ClientRegistered, clients.Length, TimeSpan.FromSeconds(60));
            var taskId = $"secagg-e2e-{mode}-{(int)(dropout * 100)}";
            var spec = new TaskSpec
            {
                ModelName = "logreg",
                SampleShape = data.Test.Shape,
                ClassCount = data.Test.ClassCount,
                Rounds = 2,
                ClientFraction = 1.0,
                MinClientsPerRound = 3,
                // Phases end as soon as every expected client answered; their deadlines (shares of this) only bite when some
                // client is missing. Without dropouts a generous timeout keeps a slow, loaded machine from turning a late
                // key advertisement into a dropout; with them a short one keeps the wait for the dropped clients short.
                RoundTimeout = TimeSpan.FromSeconds(dropout > 0 ? 20 : 60),
                Training = new TrainingConfig(1, 10, 0.05),
                Privacy = PrivacyConfig.None with { SecureAggregation = mode, SecureAggregationClip = Clip },
                SliceElements = 128,
                Seed = 2,
            };
            await host.Services.GetRequiredService<IBus>().Publish(new CreateTask(taskId, spec));
            await WaitForAsync(events, m => m is TaskCompleted t && t.TaskId == taskId || m is TaskRejected r && r.TaskId == taskId, 1, TimeSpan.FromMinutes(3));

            var log = events.All.Select(e => e.Message).ToList();
            Assert.Empty(log.OfType<TaskRejected>());
            Assert.DoesNotContain(log.OfType<UpdateSubmitted>(), u => u.TaskId == taskId); // no plain manifests
            var models = host.Services.GetRequiredService<IModelStore>();
            var aggregatedRounds = log.OfType<RoundAggregated>().Where(a => a.TaskId == taskId).OrderBy(a => a.Round).ToList();
            Assert.Equal([1, 2], aggregatedRounds.Select(a => a.Round));
            var totalDropouts = 0;
            foreach (var aggregated in aggregatedRounds)
            {
                var started = log.OfType<RoundStarted>().Single(s => s.TaskId == taskId && s.Round == aggregated.Round);
                output.WriteLine($"round {aggregated.Round}: succeeded {aggregated.Succeeded}, contributors {aggregated.Contributors.Length}, " +
                    $"dropouts [{string.Join(", ", aggregated.Dropouts.Select(d => $"{d} ({SecureRoundParticipation.DropStageFor(started, d)})"))}], " +
                    $"rejected {aggregated.Rejected.Length}, failure {aggregated.FailureReason}");
                Assert.True(aggregated.Succeeded, aggregated.FailureReason);
                Assert.Empty(aggregated.Rejected);
                Assert.Equal(started.Participants.Length, aggregated.Contributors.Length + aggregated.Dropouts.Length);
                totalDropouts += aggregated.Dropouts.Length;

                var global = await models.LoadWeightsAsync(taskId, aggregated.BaseModelVersion, CancellationToken.None);
                var model = await models.LoadCandidateAsync(aggregated.AggregateRef!, CancellationToken.None);
                var updates = aggregated.Contributors.Select(c => observer.Updates[(taskId, aggregated.Round, c.ClientId)]).ToList();
                var quantizer = new FixedPointQuantizer(Clip, started.Participants.Length);
                var largest = 0.0;
                for (var i = 0; i < global.Length; i++)
                {
                    var mean = updates.Average(u => (double)u[i]);
                    var expected = global[i] + mean;
                    var scale = (float)Math.Max(Math.Abs(global[i]), Math.Max(Math.Abs(mean), Math.Abs(expected)));
                    var tolerance = quantizer.Step / 2 + 2 * ((double)MathF.BitIncrement(scale) - scale);
                    var error = Math.Abs(model[i] - expected);
                    largest = Math.Max(largest, error);
                    Assert.True(error <= tolerance, $"round {aggregated.Round}, parameter {i}: {model[i]:R} vs {expected:R}");
                }
                Assert.All(updates, u => Assert.All(u, v => Assert.InRange(v, -(float)Clip, (float)Clip)));
                Assert.Contains(updates, u => u.Any(v => Math.Abs(v) == (float)Clip)); // some coordinates were clipped
                output.WriteLine($"  largest |model − (global + mean of clipped)| = {largest:E3} over {global.Length} parameters");
            }
            if (dropout > 0) Assert.True(totalDropouts > 0, "a 30% dropout rate over 10 clients and 2 rounds should drop someone");
            else Assert.Equal(0, totalDropouts);

            var records = consumed.Records.Where(r => r.Task == taskId).ToList();
            Assert.NotEmpty(records);
            Assert.All(records, r => Assert.Equal(ElementType.UInt32, r.Type));
            Assert.True(log.OfType<RoundCompleted>().Where(c => c.TaskId == taskId).All(c => c.Succeeded));
        }
        finally
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StopAsync(stopping.Token);
        }
    }

    [Fact]
    public async Task Fl_simulate_with_secure_aggregation_learns_and_reports_its_dropouts()
    {
        var result = await SimulationRunner.RunAsync(new SimulationOptions
        {
            Dataset = "synthetic-iid",
            Clients = 8,
            Fraction = 1.0,
            Rounds = 3,
            LocalEpochs = 2,
            LearningRate = 0.05,
            DropoutRate = 0.25,
            // Phase deadlines are shares of this (key advertisement: a tenth); on a loaded machine (other test classes train
            // in parallel) a short one turns slow clients into dropouts, here up to a whole round.
            RoundTimeout = TimeSpan.FromSeconds(20),
            Seed = 4,
            OutDir = _out,
            SecAgg = "secagg-plus",
            SecAggClip = 0.5,
        });

        output.WriteLine($"accuracy per round {string.Join(", ", result.AccuracyPerRound.Select(a => a?.ToString("P1", CultureInfo.InvariantCulture)))}; " +
            $"dropouts {string.Join(", ", result.PerRound.Select(r => r.Dropouts))}");
        Assert.Equal(3, result.Rounds);
        Assert.All(result.PerRound, r =>
        {
            Assert.True(r.Succeeded);
            Assert.Equal(8, r.Contributors + r.Dropouts);
        });
        Assert.True(result.FinalAccuracy > 0.2, $"final accuracy {result.FinalAccuracy} should clearly beat chance (10%) on 10 classes");
    }

    private static IHost BuildHost(string modelStore, HostedClient[] clients, FederatedData data, EventLog events, RecordingObserver observer,
        InProcessUpdateStream stream, RecordingConsumerFactory consumed, double dropout)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ModelStoreRoot"] = modelStore,
            ["Node:Parallelism"] = "4",
            ["Node:DropoutRate"] = dropout.ToString(CultureInfo.InvariantCulture),
            ["Node:HeartbeatInterval"] = "00:00:15",
        });
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("MassTransit", LogLevel.Error);
        var configuration = builder.Configuration;
        var services = builder.Services;
        services.AddSingleton(events);
        services.AddSingleton<ISecureAggregationInputObserver>(observer);
        services.AddSingleton(stream);
        services.AddSingleton<IUpdateStreamProducer>(stream);
        services.AddSingleton<IUpdateStreamConsumerFactory>(consumed);
        services.AddSingleton<IValidationSetProvider>(new FixedValidationSets(new Dictionary<string, Core.Data.InMemoryDataset>(), data.Test));
        SimulationRunner.AddEmbeddedPlatform(services, configuration, clients);
        return builder.Build();
    }

    private static async Task WaitForAsync(EventLog events, Func<object, bool> match, int count, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var seen = 0;
        while (seen < count)
        {
            var observed = await events.Live.ReadAsync(cancel.Token);
            if (match(observed.Message)) seen++;
        }
    }

    private sealed class RecordingObserver : ISecureAggregationInputObserver
    {
        public ConcurrentDictionary<(string Task, int Round, string Client), float[]> Updates { get; } = new();

        public void Masking(string taskId, int round, string clientId, ReadOnlySpan<float> clippedUpdate) =>
            Updates[(taskId, round, clientId)] = clippedUpdate.ToArray();
    }

    private sealed class RecordingConsumerFactory(InProcessUpdateStream inner) : IUpdateStreamConsumerFactory
    {
        public ConcurrentQueue<(string Task, int Round, ElementType Type)> Records { get; } = new();

        public IUpdateStreamConsumer Create(string groupId) => new Consumer(inner.Create(groupId), Records);

        private sealed class Consumer(IUpdateStreamConsumer inner, ConcurrentQueue<(string, int, ElementType)> records) : IUpdateStreamConsumer
        {
            public async IAsyncEnumerable<StreamRecord> ConsumeAsync([EnumeratorCancellation] CancellationToken cancellationToken)
            {
                await foreach (var record in inner.ConsumeAsync(cancellationToken))
                {
                    try
                    {
                        var slice = UpdateSliceCodec.Decode(record.Value);
                        records.Enqueue((slice.TaskId, slice.Round, slice.ElementType));
                    }
                    catch (MalformedSliceException) { }
                    yield return record;
                }
            }

            public ValueTask CommitAsync(StreamRecord record, CancellationToken cancellationToken) => inner.CommitAsync(record, cancellationToken);

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
