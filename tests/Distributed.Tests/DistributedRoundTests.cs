using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace FlMicroservices.Distributed.Tests;

/// <summary>
/// The platform as users deploy it: six service processes and three node processes over RabbitMQ, Kafka and Redis,
/// followed by an outside subscriber on RabbitMQ. Each test starts its own deployment.
/// </summary>
public sealed class DistributedRoundTests(ITestOutputHelper output)
{
    private const int ClientsPerNode = 2;
    private const int Clients = 3 * ClientsPerNode;

    [Fact]
    public async Task Six_services_and_three_nodes_in_separate_processes_complete_three_rounds_seen_by_an_outside_subscriber()
    {
        await using var deployment = await Deployment.StartAsync();
        await using var observer = await Observer.StartAsync(deployment.RabbitMqUrl);
        deployment.StartNodes([0, 0, 0], ClientsPerNode, nodeHosts: 1); // two `fl node` processes and one node host
        await observer.WaitOrFailAsync(deployment, o => o.Of<ClientRegistered>().Count() >= Clients, "all clients registered", 120, output, p => p.Name != "Aggregation");

        var taskId = $"dist-{Guid.NewGuid():N}"[..20];
        await observer.PublishAsync(new CreateTask(taskId, Spec(rounds: 3)));
        await observer.WaitOrFailAsync(deployment, o => o.Of<RoundCompleted>().Count(r => r.TaskId == taskId) >= 3, "three RoundCompleted events", 240, output, p => p.Name != "Aggregation");

        var completed = observer.Of<RoundCompleted>().Where(r => r.TaskId == taskId).OrderBy(r => r.Round).ToList();
        Assert.Equal([1, 2, 3], completed.Select(r => r.Round));
        Assert.All(completed, r => Assert.True(r.Succeeded));
        Assert.All(completed, r => Assert.Equal(Clients, r.Participants.Length));
        var aggregated = observer.Of<RoundAggregated>().Where(r => r.TaskId == taskId).ToList();
        Assert.All(aggregated, r => Assert.Equal(Clients, r.Contributors.Length));
        Assert.All(aggregated, r => Assert.Empty(r.Rejected));
        var versions = await new FileModelStore(deployment.ModelStoreRoot).ListVersionsAsync(taskId, CancellationToken.None);
        Assert.Equal([0, 1, 2, 3], versions.Select(v => v.Version).Order());
        foreach (var node in deployment.Nodes) Assert.False(node.HasExited, $"{node.Name} exited:\n{node.Tail()}");
        output.WriteLine($"3 rounds over {deployment.Services.Count} service processes and {deployment.Nodes.Count} node processes; logs in {deployment.LogDirectory}");
    }

    [Fact]
    public async Task An_aggregation_process_killed_mid_round_and_restarted_completes_the_round_with_the_aggregate_it_would_have_had()
    {
        await using var deployment = await Deployment.StartAsync();
        await using var observer = await Observer.StartAsync(deployment.RabbitMqUrl);
        // node-3 is a straggler: it streams its updates 10 s after training, so the round is still open when we kill.
        deployment.StartNodes([0, 0, 10], ClientsPerNode);
        await observer.WaitOrFailAsync(deployment, o => o.Of<ClientRegistered>().Count() >= Clients, "all clients registered", 120, output, p => p.Name != "Aggregation");

        var taskId = $"crash-{Guid.NewGuid():N}"[..20];
        await observer.PublishAsync(new CreateTask(taskId, Spec(rounds: 1)));
        await observer.WaitOrFailAsync(deployment,
            o => o.Of<UpdateSubmitted>().Count(u => u.TaskId == taskId && !u.ClientId.StartsWith("node-3", StringComparison.Ordinal)) >= 2 * ClientsPerNode,
            "the first two nodes' updates", 120, output, p => p.Name != "Aggregation");
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // a few checkpoints (every 0.2 s) of the slices folded so far
        Assert.DoesNotContain(observer.Of<RoundAggregated>(), r => r.TaskId == taskId);

        var aggregation = deployment.Services["Aggregation"];
        aggregation.Kill();
        output.WriteLine($"aggregation killed at {DateTime.UtcNow:O}");
        aggregation.Start();
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
            await aggregation.WaitReadyAsync(http, TimeSpan.FromSeconds(120));
        await observer.WaitOrFailAsync(deployment, o => o.Of<RoundAggregated>().Any(r => r.TaskId == taskId), "RoundAggregated after the restart", 180, output, p => p.Name != "Aggregation");

        var aggregated = observer.Of<RoundAggregated>().First(r => r.TaskId == taskId);
        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        Assert.Equal(Clients, aggregated.Contributors.Length);
        Assert.Empty(aggregated.Rejected);
        var log = File.ReadAllText(aggregation.LogPath);
        Assert.Contains("resumed from its checkpoint", log);

        var models = new FileModelStore(deployment.ModelStoreRoot);
        var actual = await models.LoadCandidateAsync(aggregated.AggregateRef!, CancellationToken.None);
        var expected = await AggregateWithoutCrashAsync(deployment, observer, taskId, models);
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.AsSpan().SequenceEqual(actual), "the aggregate after the crash differs from the one computed from the stream without a crash");
    }

    [Fact]
    public async Task Two_aggregation_shards_in_separate_processes_publish_the_model_one_aggregator_would()
    {
        await using var deployment = await Deployment.StartAsync(aggregationShards: 2);
        await using var observer = await Observer.StartAsync(deployment.RabbitMqUrl);
        deployment.StartNodes([0, 0, 0], ClientsPerNode);
        await observer.WaitOrFailAsync(deployment, o => o.Of<ClientRegistered>().Count() >= Clients, "all clients registered", 120, output, p => p.Name != "Aggregation");

        var taskId = $"shard-{Guid.NewGuid():N}"[..20];
        var spec = Spec(rounds: 2) with { Strategy = "multi-krum", StrategyParameters = new() { ["f"] = "1" } };
        await observer.PublishAsync(new CreateTask(taskId, spec));
        await observer.WaitOrFailAsync(deployment, o => o.Of<RoundCompleted>().Count(r => r.TaskId == taskId) >= 2, "two RoundCompleted events", 240, output, p => p.Name != "Aggregation");

        var aggregated = observer.Of<RoundAggregated>().Where(r => r.TaskId == taskId).OrderBy(r => r.Round).ToList();
        Assert.Equal([1, 2], aggregated.Select(r => r.Round));
        Assert.All(aggregated, r => Assert.True(r.Succeeded, r.FailureReason));
        Assert.All(aggregated, r => Assert.Equal(Clients, r.Contributors.Length));
        // Round 1 recomputed by one aggregator from everything the clients streamed: the shards' model is the same, bit for bit.
        var models = new FileModelStore(deployment.ModelStoreRoot);
        var actual = await models.LoadCandidateAsync(aggregated[0].AggregateRef!, CancellationToken.None);
        var expected = await AggregateWithoutCrashAsync(deployment, observer, taskId, models);
        Assert.True(expected.AsSpan().SequenceEqual(actual), "the sharded aggregate differs from the single aggregator's");
        // Each shard read the stream in its own consumer group and folded only its slices.
        foreach (var k in new[] { 0, 1 })
            Assert.False(deployment.Services[$"Aggregation-{k}"].HasExited, deployment.Services[$"Aggregation-{k}"].Tail());
        output.WriteLine($"2 rounds of multi-krum over 2 aggregation shards; logs in {deployment.LogDirectory}");
    }

    // Everything every client streamed for the round, read back from Kafka by a fresh consumer group, folded once per
    // (client, slice) in stream order by the same round logic in this process: the aggregate of a run without a crash.
    private static async Task<float[]> AggregateWithoutCrashAsync(Deployment deployment, Observer observer, string taskId, FileModelStore models)
    {
        var started = observer.Of<RoundStarted>().Single(r => r.TaskId == taskId && r.Round == 1);
        var global = await models.LoadWeightsAsync(taskId, started.ModelVersion, CancellationToken.None);
        var round = new RoundAggregation(started, global.Length, StrategyCatalog.Create(started.Strategy, started.StrategyParameters));
        var sliceCount = UpdateSliceCodec.SliceCountFor(global.Length, started.SliceElements);
        using var stream = new KafkaUpdateStream(deployment.KafkaBootstrap, new UpdateStreamOptions { Transport = "Kafka", Topic = deployment.Topic },
            ExternalCallResilience.Create("kafka", new ResilienceOptions(), KafkaUpdateStream.IsTransient), NullLoggerFactory.Instance);
        await using var consumer = stream.Create($"audit-{Guid.NewGuid():N}");
        var seen = new HashSet<(string, int)>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var record in consumer.ConsumeAsync(timeout.Token))
        {
            var slice = UpdateSliceCodec.Decode(record.Value);
            if (slice.TaskId != taskId || slice.Round != 1) continue;
            if (seen.Add((slice.ClientId, slice.SliceIndex))) Assert.Equal(SliceOutcome.Folded, round.Fold(slice));
            if (seen.Count == Clients * sliceCount) break;
        }
        Assert.Equal(Clients * sliceCount, seen.Count);
        foreach (var manifest in observer.Of<UpdateSubmitted>().Where(u => u.TaskId == taskId && u.Round == 1)) round.AcceptManifest(manifest);
        var result = new float[global.Length];
        var outcome = round.Close(global, result);
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        return result;
    }

    /// <summary>A logreg task over every client of the three nodes (the operator API's deployed test runs it too).</summary>
    internal static TaskSpec Spec(int rounds) => new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = rounds,
        ClientFraction = 1.0,
        MinClientsPerRound = Clients,
        Quorum = 1.0,
        RoundTimeout = TimeSpan.FromMinutes(3),
        Training = new TrainingConfig(1, 10, 0.05),
        SliceElements = 64, // 610 parameters in 10 slices: many records, so the kill lands between slices
        Seed = 3,
    };
}
