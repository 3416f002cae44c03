using FlMicroservices.Contracts.V1;
using Xunit.Abstractions;

namespace FlMicroservices.Distributed.Tests;

/// <summary>
/// Self-healing membership and capability targeting across OS processes: a Redis or broker restart in the middle of a task,
/// and a fleet of nodes with different data sets running two tasks at once.
/// </summary>
public sealed class MembershipTests(ITestOutputHelper output)
{
    private const int ClientsPerNode = 2;

    [Fact]
    public async Task A_redis_restart_that_loses_every_client_record_mid_task_heals_and_the_task_completes()
    {
        await using var deployment = await Deployment.StartAsync(restartable: true);
        await using var observer = await Observer.StartAsync(deployment.RabbitMqUrl);
        // node-3 streams 8 s after training, so round 1 is still open when Redis comes back empty.
        deployment.StartNodes([0, 0, 8], ClientsPerNode);
        await observer.WaitOrFailAsync(deployment, o => o.Of<ClientRegistered>().Count() >= 6, "all clients registered", 120, output);

        var taskId = $"redis-{Guid.NewGuid():N}"[..20];
        await observer.PublishAsync(new CreateTask(taskId, SyntheticSpec(rounds: 3, clients: 6, devices: 6)));
        await observer.WaitOrFailAsync(deployment, o => o.Of<RoundStarted>().Any(r => r.TaskId == taskId), "round 1 started", 120, output);
        var registeredBefore = observer.Of<ClientRegistered>().Count();
        await deployment.Redis.RestartAsync();
        output.WriteLine($"redis restarted empty at {DateTime.UtcNow:O}");

        await observer.WaitOrFailAsync(deployment, o => o.Of<TaskCompleted>().Any(t => t.TaskId == taskId), "TaskCompleted", 300, output);

        Assert.True(observer.Of<ClientRegistered>().Count() >= registeredBefore + 6, "every client registered again from its heartbeats");
        var completed = observer.Of<TaskCompleted>().Single(t => t.TaskId == taskId);
        Assert.Equal(3, completed.RoundsCompleted);
        Assert.Equal("all rounds completed", completed.Reason);
        var rounds = observer.Of<RoundCompleted>().Where(r => r.TaskId == taskId).OrderBy(r => r.Round).ToList();
        Assert.Equal([1, 2, 3], rounds.Select(r => r.Round));
        Assert.All(rounds, r => Assert.True(r.Succeeded, r.FailureReason));
        Assert.All(rounds, r => Assert.Equal(6, r.Participants.Length));
        AssertEvaluated(rounds);
        foreach (var node in deployment.Nodes) Assert.False(node.HasExited, $"{node.Name} exited:\n{node.Tail()}");
    }

    [Fact]
    public async Task A_broker_restart_mid_round_is_ridden_out_and_the_task_completes()
    {
        await using var deployment = await Deployment.StartAsync(restartable: true);
        await using var observer = await Observer.StartAsync(deployment.RabbitMqUrl, durable: true);
        // node-3 streams 20 s after training: its manifest goes out after the broker is back.
        deployment.StartNodes([0, 0, 20], ClientsPerNode);
        await observer.WaitOrFailAsync(deployment, o => o.Of<ClientRegistered>().Count() >= 6, "all clients registered", 120, output);

        var taskId = $"broker-{Guid.NewGuid():N}"[..20];
        await observer.PublishAsync(new CreateTask(taskId, SyntheticSpec(rounds: 2, clients: 6, devices: 6)));
        await observer.WaitOrFailAsync(deployment,
            o => o.Of<UpdateSubmitted>().Count(u => u.TaskId == taskId && !u.ClientId.StartsWith("node-3", StringComparison.Ordinal)) >= 4,
            "the first two nodes' updates", 120, output);
        await deployment.RabbitMq.RestartAsync();
        output.WriteLine($"rabbitmq restarted at {DateTime.UtcNow:O}");

        await observer.WaitOrFailAsync(deployment, o => o.Of<TaskCompleted>().Any(t => t.TaskId == taskId), "TaskCompleted", 400, output);

        var completed = observer.Of<TaskCompleted>().Single(t => t.TaskId == taskId);
        Assert.Equal((2, "all rounds completed"), (completed.RoundsCompleted, completed.Reason));
        var rounds = observer.Of<RoundCompleted>().Where(r => r.TaskId == taskId).OrderBy(r => r.Round).ToList();
        Assert.Equal([1, 2], rounds.Select(r => r.Round));
        Assert.All(rounds, r => Assert.True(r.Succeeded, r.FailureReason));
        Assert.All(rounds, r => Assert.Equal(6, r.Contributors.Length));
        AssertEvaluated(rounds);
        foreach (var process in deployment.Nodes.Concat(deployment.Services.Values)) Assert.False(process.HasExited, $"{process.Name} exited:\n{process.Tail()}");
    }

    [MnistFact]
    public async Task A_mixed_fleet_runs_an_mnist_task_and_a_synthetic_task_side_by_side_each_only_on_matching_clients_and_says_why_a_third_cannot_start()
    {
        await using var deployment = await Deployment.StartAsync();
        await using var observer = await Observer.StartAsync(deployment.RabbitMqUrl);
        foreach (var part in new[] { 0, 1 })
        {
            deployment.StartNode($"syn-{part}", "--clients", $"{ClientsPerNode}", "--dataset", "synthetic:1,1", "--part", $"{part}", "--of", "2",
                "--seed", "1", "--parallelism", "1");
        }
        // 60,000 MNIST training images over 40 shares: 1,500 per client, so that a round trains in seconds.
        deployment.StartNode("mnist-0", "--clients", $"{ClientsPerNode}", "--dataset", "mnist", "--data-dir", MnistFactAttribute.MnistDirectory,
            "--part", "0", "--of", "20", "--partition", "iid", "--parallelism", "1");
        await observer.WaitOrFailAsync(deployment, o => o.Of<ClientRegistered>().Count() >= 3 * ClientsPerNode, "all clients registered", 180, output);

        var syntheticId = $"mix-syn-{Guid.NewGuid():N}"[..20];
        var mnistId = $"mix-mnist-{Guid.NewGuid():N}"[..20];
        var mnistSpec = SyntheticSpec(rounds: 2, clients: ClientsPerNode, devices: 4) with
        {
            SampleShape = [1, 28, 28],
            Training = new TrainingConfig(1, 20, 0.1),
            Validation = new ValidationData { Kind = ValidationDataKind.Mnist, Path = "mnist", Samples = 2000 },
        };
        var fashionId = $"mix-fashion-{Guid.NewGuid():N}"[..20];
        await observer.PublishAsync(new CreateTask(syntheticId, SyntheticSpec(rounds: 2, clients: 2 * ClientsPerNode, devices: 4)));
        await observer.PublishAsync(new CreateTask(mnistId, mnistSpec));
        await observer.PublishAsync(new CreateTask(fashionId, mnistSpec with { Validation = null, Dataset = "fashion" }));
        await observer.WaitOrFailAsync(deployment,
            o => o.Of<TaskCompleted>().Any(t => t.TaskId == syntheticId) && o.Of<TaskCompleted>().Any(t => t.TaskId == mnistId), "both TaskCompleted", 400, output);

        foreach (var (taskId, prefix, clients) in new[] { (syntheticId, "syn-", 2 * ClientsPerNode), (mnistId, "mnist-", ClientsPerNode) })
        {
            var completed = observer.Of<TaskCompleted>().Single(t => t.TaskId == taskId);
            Assert.Equal((2, "all rounds completed"), (completed.RoundsCompleted, completed.Reason));
            var started = observer.Of<RoundStarted>().Where(r => r.TaskId == taskId).ToList();
            Assert.Equal(2, started.Count);
            Assert.All(started, r => Assert.Equal(clients, r.Participants.Length));
            Assert.All(started.SelectMany(r => r.Participants), p => Assert.StartsWith(prefix, p));
            var rounds = observer.Of<RoundCompleted>().Where(r => r.TaskId == taskId).OrderBy(r => r.Round).ToList();
            Assert.Equal([1, 2], rounds.Select(r => r.Round));
            Assert.All(rounds, r => Assert.True(r.Succeeded, r.FailureReason));
            AssertEvaluated(rounds);
            output.WriteLine($"{taskId}: accuracy per round {string.Join(", ", rounds.Select(r => $"{r.Accuracy:F3}"))}");
        }
        Assert.True(observer.Of<RoundCompleted>().Where(r => r.TaskId == mnistId).All(r => r.Accuracy > 0.5), "logistic regression on MNIST passes 50% after one round");
        // No node holds Fashion-MNIST: the task ends before its first round, saying why.
        await observer.WaitOrFailAsync(deployment, o => o.Of<TaskCompleted>().Any(t => t.TaskId == fashionId), "the fashion task's TaskCompleted", 60, output);
        Assert.Equal("round 1 cannot start: 0 of 6 healthy clients have dataset fashion [1,28,28]x10, 2 needed",
            observer.Of<TaskCompleted>().Single(t => t.TaskId == fashionId).Reason);
        Assert.DoesNotContain(observer.Of<RoundStarted>(), r => r.TaskId == fashionId);
    }

    private static void AssertEvaluated(IEnumerable<RoundCompleted> rounds) => Assert.All(rounds, r =>
    {
        Assert.True(r.Evaluated, r.NotEvaluatedReason);
        Assert.Null(r.NotEvaluatedReason);
        Assert.InRange(r.Accuracy!.Value, 0.0, 1.0);
        Assert.True(r.Loss is > 0 and < double.PositiveInfinity, $"loss {r.Loss}");
    });

    private static TaskSpec SyntheticSpec(int rounds, int clients, int devices) => new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = rounds,
        ClientFraction = 1.0,
        MinClientsPerRound = clients,
        Quorum = 1.0,
        RoundTimeout = TimeSpan.FromMinutes(3),
        Training = new TrainingConfig(1, 10, 0.05),
        Seed = 3,
        Validation = new ValidationData { Kind = ValidationDataKind.Synthetic, Seed = 1, Devices = devices },
    };
}
