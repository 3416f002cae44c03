using System.Globalization;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Models;
using Xunit.Abstractions;

namespace FlMicroservices.Distributed.Tests;

/// <summary>
/// Restart anything, lose nothing: a seeded six-round DP-FedAvg task run twice over separate processes, once undisturbed and
/// once with each of the six services SIGKILLed and restarted at a different moment and RabbitMQ and Redis restarted once each,
/// ends with the same model (bit for bit), the same privacy spent and the same reward balances.
/// </summary>
public sealed class RestartEverythingTests(ITestOutputHelper output)
{
    private const int ClientsPerNode = 2;
    private const int Clients = 3 * ClientsPerNode;
    private const int Rounds = 6;

    [Fact]
    public async Task A_seeded_task_killed_everywhere_ends_with_the_model_privacy_ledger_and_balances_of_an_undisturbed_run()
    {
        var undisturbed = await RunAsync(disturb: false);
        var disturbed = await RunAsync(disturb: true);

        output.WriteLine(undisturbed.Describe("undisturbed"));
        output.WriteLine(disturbed.Describe("disturbed"));
        Assert.Equal(undisturbed.Digests, disturbed.Digests);
        Assert.Equal(undisturbed.FinalVersion, disturbed.FinalVersion);
        Assert.Equal(undisturbed.Weights.Length, disturbed.Weights.Length);
        Assert.True(undisturbed.Weights.AsSpan().SequenceEqual(disturbed.Weights), "the final weights differ");
        Assert.Equal(undisturbed.Accuracies, disturbed.Accuracies);
        Assert.Equal(undisturbed.Epsilons, disturbed.Epsilons);
        Assert.Equal(undisturbed.Balances, disturbed.Balances);
    }

    private async Task<RunResult> RunAsync(bool disturb)
    {
        await using var deployment = await Deployment.StartAsync(restartable: true);
        await using var observer = await Observer.StartAsync(deployment.RabbitMqUrl, durable: true);
        // Disturbed, node-3 streams 6 s after training, so every round stays open long enough to kill something in it; the
        // undisturbed run has no straggler (the aggregation's fold does not depend on arrival order or timing).
        deployment.StartNodes([0, 0, disturb ? 6 : 0], ClientsPerNode);
        await observer.WaitOrFailAsync(deployment, o => o.Of<ClientRegistered>().Select(c => c.ClientId).Distinct().Count() >= Clients, "all clients registered", 120, output);

        var taskId = $"restart-{(disturb ? "d" : "u")}-{Guid.NewGuid():N}"[..20];
        await observer.PublishAsync(new CreateTask(taskId, Spec));
        if (disturb) await DisturbAsync(deployment, observer, taskId);
        await observer.WaitOrFailAsync(deployment, o => o.Of<TaskCompleted>().Any(t => t.TaskId == taskId)
            && o.Of<RewardsIssued>().Any(r => r.TaskId == taskId && r.Round == Rounds)
            && o.Of<PrivacyBudgetUpdated>().Any(p => p.TaskId == taskId && p.Round == Rounds), "the task's end, last rewards and privacy update", 300, output);

        var completed = observer.Of<TaskCompleted>().First(t => t.TaskId == taskId);
        Assert.True(completed.Succeeded, $"{completed.Reason}\n{deployment.Logs()}");
        Assert.Equal(Rounds, completed.RoundsCompleted);
        var rounds = observer.Of<RoundCompleted>().Where(r => r.TaskId == taskId).DistinctBy(r => r.Round).OrderBy(r => r.Round).ToList();
        Assert.Equal(Enumerable.Range(1, Rounds), rounds.Select(r => r.Round));
        Assert.All(rounds, r => Assert.True(r.Succeeded, r.FailureReason));
        Assert.All(rounds, r => Assert.Equal(Clients, r.Contributors.Length));

        var models = new FileModelStore(deployment.ModelStoreRoot);
        var versions = (await models.ListVersionsAsync(taskId, CancellationToken.None)).OrderBy(v => v.Version).ToList();
        var weights = await models.LoadWeightsAsync(taskId, completed.FinalModelVersion, CancellationToken.None);
        var privacy = observer.Of<PrivacyBudgetUpdated>().Where(p => p.TaskId == taskId).DistinctBy(p => p.Round).OrderBy(p => p.Round).ToList();
        var balances = observer.Of<RewardsIssued>().Where(r => r.TaskId == taskId).DistinctBy(r => r.Round).OrderBy(r => r.Round)
            .SelectMany(r => r.Rewards).GroupBy(r => r.ClientId).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Last().Balance, g.Sum(r => r.Tokens))).ToList();
        Assert.All(balances, b => Assert.Equal(b.Item2, b.Item3)); // a fresh ledger: each balance is this task's tokens
        foreach (var process in deployment.Nodes.Concat(deployment.Services.Values)) Assert.False(process.HasExited, $"{process.Name} exited:\n{process.Tail()}");
        return new RunResult(completed.FinalModelVersion, completed.FinalAccuracy, versions.Select(v => $"{v.Version}:{v.Digest}").ToList(), weights,
            rounds.Select(r => r.Accuracy).ToList(), privacy.Select(p => p.EpsilonSpent).ToList(), balances.Select(b => $"{b.Key}={b.Balance.ToString(CultureInfo.InvariantCulture)}").ToList(),
            deployment.Services.Values.Sum(s => s.Starts - 1));
    }

    // Each service killed (SIGKILL) once at a different moment and started again without waiting for it (the next disturbance
    // may come while it is still starting); RabbitMQ and Redis restarted once each. Each moment is printed as it was.
    private async Task DisturbAsync(Deployment deployment, Observer observer, string taskId)
    {
        int Updates(Observer o, int round) => o.Of<UpdateSubmitted>().Where(u => u.TaskId == taskId && u.Round == round).Select(u => u.ClientId).Distinct().Count();
        bool Started(Observer o, int round) => o.Of<RoundStarted>().Any(r => r.TaskId == taskId && r.Round == round);
        bool Completed(Observer o, int round) => o.Of<RoundCompleted>().Any(r => r.TaskId == taskId && r.Round == round);
        // A round from `from` on in which the first two nodes delivered their updates and the straggler's are still to come.
        int? Midway(Observer o, int from) => Enumerable.Range(from, Math.Max(0, Rounds - from + 1)).Cast<int?>().FirstOrDefault(r =>
            !Completed(o, r!.Value) && o.Of<UpdateSubmitted>().Count(u => u.TaskId == taskId && u.Round == r
                && !u.ClientId.StartsWith("node-3", StringComparison.Ordinal)) >= 2 * ClientsPerNode);
        int? Ended(Observer o, int from) => Enumerable.Range(from, Math.Max(0, Rounds - from + 1)).Cast<int?>().FirstOrDefault(r => Completed(o, r!.Value));
        string Moment(int round) => $"round {round}: started {Started(observer, round)}, {Updates(observer, round)} of {Clients} updates, " +
            $"completed {Completed(observer, round)}; round {round + 1} started {Started(observer, round + 1)}";

        async Task<int> WhenAsync(Func<Observer, int?> moment, string what)
        {
            await observer.WaitOrFailAsync(deployment, o => moment(o) is not null, what, 240, output);
            return moment(observer)!.Value;
        }

        await observer.WaitOrFailAsync(deployment, o => Started(o, 1), "round 1 started", 120, output);
        Restart(deployment, "Registry", Moment(1));
        var round = await WhenAsync(o => Midway(o, 1), "a round midway");
        await deployment.Redis.RestartAsync();
        output.WriteLine($"{DateTime.UtcNow:O} redis restarted empty at {Moment(round)}");
        round = await WhenAsync(o => Midway(o, round + 1), "a later round midway");
        Restart(deployment, "Selector", Moment(round));
        round = await WhenAsync(o => Midway(o, round + 1), "a later round midway");
        Restart(deployment, "Aggregation", Moment(round));
        round = await WhenAsync(o => Midway(o, round + 1), "a later round midway");
        var at = Moment(round);
        await deployment.RabbitMq.RestartAsync();
        output.WriteLine($"{DateTime.UtcNow:O} rabbitmq restarted at {at}");
        round = await WhenAsync(o => Ended(o, round), "a round completed");
        Restart(deployment, "PrivacyAccounting", Moment(round));
        round = await WhenAsync(o => Midway(o, round + 1), "a later round midway");
        Restart(deployment, "ModelRegistry", Moment(round));
        round = await WhenAsync(o => Ended(o, round), "a round completed");
        Restart(deployment, "Reward", Moment(round));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var service in deployment.Services.Values) await service.WaitReadyAsync(http, TimeSpan.FromSeconds(120));
    }

    private void Restart(Deployment deployment, string name, string moment)
    {
        var service = deployment.Services[name];
        service.Kill();
        service.Start();
        output.WriteLine($"{DateTime.UtcNow:O} {name} killed and started again at {moment}");
    }

    private static TaskSpec Spec => new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = Rounds,
        ClientFraction = 1.0,
        MinClientsPerRound = Clients,
        Quorum = 1.0,
        // Generous: a round must never fail because a service was down during it.
        RoundTimeout = TimeSpan.FromMinutes(3),
        Training = new TrainingConfig(1, 10, 0.05),
        Privacy = new PrivacyConfig(true, 0.8, 1.0, 100, 1e-5) { Mechanism = PrivacyMechanism.Central, NoiseSeed = 20261207 },
        SliceElements = 64,
        Seed = 5,
        Validation = new ValidationData { Kind = ValidationDataKind.Synthetic, Seed = 1, Devices = Clients },
    };

    private sealed record RunResult(int FinalVersion, double? FinalAccuracy, List<string> Digests, float[] Weights, List<double?> Accuracies,
        List<double> Epsilons, List<string> Balances, int Restarts)
    {
        public string Describe(string name) =>
            $"{name}: final version {FinalVersion}, final accuracy {FinalAccuracy:F4}, accuracy per round [{string.Join(", ", Accuracies.Select(a => a?.ToString("F4", CultureInfo.InvariantCulture)))}], " +
            $"epsilon per round [{string.Join(", ", Epsilons.Select(e => e.ToString("R", CultureInfo.InvariantCulture)))}], balances [{string.Join(", ", Balances)}], " +
            $"final digest {Digests[^1]}, service restarts {Restarts}";
    }
}
