using System.Text.Json;
using FlMicroservices.Contracts.V1;
using Xunit.Abstractions;

namespace FlMicroservices.Distributed.Tests;

/// <summary>A deployment that cannot run a round says so: the round fails with the reason within its timeout, and `fl task create --follow` exits 1.</summary>
public sealed class DeployedFailureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Rounds_whose_model_version_is_missing_fail_with_that_reason_and_follow_exits_1()
    {
        // The aggregation service is given a model store of its own, empty: the split store of a misconfigured deployment.
        var ownStore = Path.Combine(Path.GetTempPath(), "fl-empty-store-" + Guid.NewGuid().ToString("N")[..12]);
        await using var deployment = await Deployment.StartAsync(settings: new Dictionary<string, Dictionary<string, string>>
        {
            ["Aggregation"] = new() { ["Storage__ModelStoreRoot"] = ownStore },
        });
        await using var observer = await Observer.StartAsync(deployment.RabbitMqUrl);
        deployment.StartNodes([0], clientsPerNode: 2);
        Assert.True(await observer.WaitAsync(o => o.Of<ClientRegistered>().Count() >= 2, TimeSpan.FromSeconds(120)), $"clients did not register:\n{deployment.Logs()}");

        var taskId = $"missing-{Guid.NewGuid():N}"[..20];
        var follow = await FlProcess.FlAsync(
            ["task", "create", "--task-id", taskId, "--rounds", "2", "--fraction", "1", "--round-timeout", "60", "--follow"],
            new Dictionary<string, string> { ["ConnectionStrings__rabbitmq"] = deployment.RabbitMqUrl }, TimeSpan.FromMinutes(6));
        output.WriteLine(follow.Output);

        Assert.False(follow.TimedOut, $"--follow did not end by itself:\n{follow.Output}\n{deployment.Logs()}");
        Assert.Equal(1, follow.ExitCode);
        var lines = follow.Output.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var rounds = lines.Where(l => l.TryGetProperty("round", out _)).ToList();
        Assert.Equal([1, 2], rounds.Select(r => r.GetProperty("round").GetInt32()));
        Assert.All(rounds, r => Assert.False(r.GetProperty("succeeded").GetBoolean()));
        Assert.All(rounds, r => Assert.Equal(
            $"aggregation could not open round {r.GetProperty("round").GetInt32()}: model version 0 of task {taskId} is not in the model store",
            r.GetProperty("failure_reason").GetString()));
        // The observer has its own queues: its copies of the events may arrive after the CLI's did.
        Assert.True(await observer.WaitAsync(o => o.Of<RoundCompleted>().Count(r => r.TaskId == taskId) >= 2
                && o.Of<TaskCompleted>().Any(t => t.TaskId == taskId), TimeSpan.FromSeconds(60)),
            "the observer never received both rounds' RoundCompleted and the task's TaskCompleted");
        // Each round ended within its timeout: its RoundCompleted came before the deadline its RoundStarted set.
        foreach (var started in observer.Of<RoundStarted>().Where(r => r.TaskId == taskId))
            Assert.True(observer.Of<RoundCompleted>().Single(r => r.TaskId == taskId && r.Round == started.Round).CompletedAt < started.Deadline);
        var end = Assert.Single(lines, l => l.TryGetProperty("task_completed", out _));
        Assert.False(end.GetProperty("succeeded").GetBoolean());
        Assert.Equal(2, end.GetProperty("failed_rounds").GetInt32());
        Assert.StartsWith("2 rounds ran, 2 failed (round 1: aggregation could not open round 1: model version 0", end.GetProperty("reason").GetString());
        Assert.Contains($"task {taskId} failed", follow.Output);
        var completed = Assert.Single(observer.Of<TaskCompleted>(), t => t.TaskId == taskId);
        Assert.False(completed.Succeeded);
    }
}
