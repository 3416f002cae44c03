using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Dashboard.Consumers;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Dashboard.Tests;

/// <summary>With signed commands on, the dashboard shows a task as ended only on a TaskCompleted the selector signed.</summary>
public sealed class SignedTaskCompletedTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static TaskCompleted Ended(string task) => new(task, 3, 3, 0.9, "all rounds completed", DateTimeOffset.UtcNow);

    [Fact]
    public async Task An_unsigned_altered_or_foreign_signed_TaskCompleted_reaches_no_page_and_a_signed_one_does()
    {
        using var selector = CommandSigning.For(_folder.Path, BrokerAccounts.Selector); // writes the selector's key pair
        using var impostor = CommandSigning.For(Path.Combine(_folder.Path, "impostor"), BrokerAccounts.Selector);
        var live = new LiveEvents();
        var shown = new ConcurrentQueue<string>();
        using var page = live.Subscribe(e => { shown.Enqueue(e.TaskId); return Task.CompletedTask; });
        var logs = new RecordedLogs();
        await using var provider = new ServiceCollection()
            .AddSingleton<ILoggerProvider>(logs)
            .AddLogging()
            .AddSingleton(live)
            .AddSingleton(CommandSigning.For(_folder.Path, BrokerAccounts.Dashboard))
            .AddMassTransitTestHarness(x => x.SetLoadedMachineTimeouts().AddConsumer<TaskCompletedConsumer>())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        await harness.Bus.Publish(Ended("unsigned"));
        await harness.Bus.Publish(impostor.Sign(Ended("foreign")));
        await harness.Bus.Publish(selector.Sign(Ended("altered")) with { Succeeded = false, Reason = "cancelled by operator" });
        await harness.Bus.Publish(selector.Sign(Ended("signed")));
        await Eventually.TrueAsync(() => harness.Consumed.Select<TaskCompleted>().Count() == 4, TimeSpan.FromSeconds(30), "all four consumed");

        Assert.Equal(["signed"], shown);
        const string Foreign = "TaskCompleted's signature does not verify against the key of fl-selector: it was altered or signed by another key";
        Assert.Contains("Refused TaskCompleted unsigned: TaskCompleted carries no signature of fl-selector, which issues it", logs.Entries);
        Assert.Contains("Refused TaskCompleted foreign: " + Foreign, logs.Entries);
        Assert.Contains("Refused TaskCompleted altered: " + Foreign, logs.Entries);
        Assert.Equal(3, logs.Entries.Count(e => e.StartsWith("Refused TaskCompleted", StringComparison.Ordinal)));
    }
}
