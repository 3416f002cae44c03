using System.Collections.Concurrent;
using System.Diagnostics;
using FlMicroservices.Contracts.V1;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using RoundCompletedSubscriber;

namespace FlMicroservices.Integration.Tests.Messaging;

/// <summary>samples/RoundCompletedSubscriber (plain RabbitMQ.Client, no MassTransit) receives what the platform's bus publishes.</summary>
[Collection(FlMicroservices.Testing.RabbitMqFixture.Collection)]
public sealed class RoundCompletedSubscriberSampleTests(FlMicroservices.Testing.RabbitMqFixture broker)
{
    [Fact]
    public async Task The_subscription_sees_a_published_round_completed_with_its_task_round_and_accuracy()
    {
        var queue = $"sample-{Guid.NewGuid():N}";
        var received = new ConcurrentQueue<RoundCompletedEvent>();
        var problems = new ConcurrentQueue<string>();
        await using (await RoundCompletedSubscription.StartAsync(new Uri(broker.ConnectionString), queue,
                         round => { received.Enqueue(round); return Task.CompletedTask; }, problems.Enqueue))
        {
            using var host = await PlatformBus.StartAsync(broker.ConnectionString);
            await host.Services.GetRequiredService<IBus>().Publish(Round("sample-task", 3, 0.9123));

            Assert.True(await WaitUntilAsync(() => !received.IsEmpty), $"no RoundCompleted reached {queue}");
            Assert.Equal(new RoundCompletedEvent("sample-task", 3, 3, true, 0.9123, null), received.Single());
            Assert.Empty(problems);
            await host.StopAsync();
        }
        Assert.Equal(0u, await DeleteQueueAsync(queue)); // acknowledged: nothing left behind
    }

    [Fact]
    public async Task The_sample_program_prints_each_round_and_refuses_a_bad_address()
    {
        var queue = $"sample-{Guid.NewGuid():N}";
        var output = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<string>();
        using var process = Start([broker.ConnectionString, queue], output, errors);
        try
        {
            Assert.True(await WaitUntilAsync(() => errors.Any(e => e.Contains("listening on queue " + queue, StringComparison.Ordinal))),
                $"the sample did not start: {string.Join(" | ", errors)}");
            using var host = await PlatformBus.StartAsync(broker.ConnectionString);
            var bus = host.Services.GetRequiredService<IBus>();
            await bus.Publish(Round("printed-task", 1, 0.5));
            await bus.Publish(Round("printed-task", 2, null));

            Assert.True(await WaitUntilAsync(() => output.Count >= 2), $"the sample printed: {string.Join(" | ", output)} {string.Join(" | ", errors)}");
            Assert.Equal(["task printed-task round 1: accuracy 0.5 (model version 1)", "task printed-task round 2: accuracy not measured (model version 2)"],
                output.ToArray());
            await host.StopAsync();
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        await DeleteQueueAsync(queue);

        using var bad = Start(["http://guest:guest@localhost/"], output, errors);
        await bad.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains(errors, e => e.Contains("must be an amqp:// or amqps:// URI", StringComparison.Ordinal));
    }

    private static RoundCompleted Round(string taskId, int round, double? accuracy) =>
        new(taskId, round, round, true, false, accuracy, accuracy is null ? null : 0.3, ["c1"], [new Contribution("c1", 100, 1, 0.3)], [], [], null,
            DateTimeOffset.UtcNow, Evaluated: accuracy is not null, NotEvaluatedReason: accuracy is null ? "the task names no validation data (TaskSpec.Validation)" : null);

    private static Process Start(string[] arguments, ConcurrentQueue<string> output, ConcurrentQueue<string> errors)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(SampleDll);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) output.Enqueue(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) errors.Enqueue(line); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    // The sample's own build output (a project reference builds it with this test project's configuration).
    private static string SampleDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "FlMicroservices.sln")))
                    return Path.Combine(dir.FullName, "samples", "RoundCompletedSubscriber", "bin", configuration, "net10.0", "RoundCompletedSubscriber.dll");
            throw new InvalidOperationException($"No FlMicroservices.sln above {AppContext.BaseDirectory}.");
        }
    }

    private async Task<uint> DeleteQueueAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(broker.ConnectionString) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return await channel.QueueDeleteAsync(queue);
    }


    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            await Task.Delay(50);
        }
        return condition();
    }
}
