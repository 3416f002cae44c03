using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.ModelRegistry;
using FlMicroservices.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>
/// With signed commands on, the model registry stores only a round result the aggregation signed, and signs the
/// ModelVersionPublished (and RoundCompleted) it publishes.
/// </summary>
public sealed class SignedRoundAggregatedTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly string _root = Directory.CreateTempSubdirectory("fl-signed-aggregated-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task An_unsigned_altered_or_foreign_signed_RoundAggregated_stores_nothing_and_a_signed_one_becomes_version_1()
    {
        var accounts = Path.Combine(_root, "accounts");
        using var registry = CommandSigning.For(accounts, BrokerAccounts.Registry); // writes the registry's key pair
        using var aggregation = CommandSigning.For(accounts, BrokerAccounts.Aggregation);
        using var impostor = CommandSigning.For(Path.Combine(_root, "impostor"), BrokerAccounts.Aggregation);
        using var modelRegistry = CommandSigning.For(accounts, BrokerAccounts.ModelRegistry);
        using var selector = CommandSigning.For(accounts, BrokerAccounts.Selector);
        var store = new FileModelStore(Path.Combine(_root, "models"));
        var logs = new RecordedLogs();
        await using var provider = new ServiceCollection()
            .AddSingleton<IModelStore>(store)
            .AddSingleton(TimeProvider.System)
            .AddLogging()
            .AddSingleton<ILoggerProvider>(logs)
            .AddSingleton(modelRegistry)
            .AddModelRegistryService()
            .AddMassTransitTestHarness(x => x.SetLoadedMachineTimeouts().AddModelRegistryConsumers())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var spec = new TaskSpec { ModelName = "logreg", SampleShape = [8], ClassCount = 3, Rounds = 2, Training = new TrainingConfig(1, 10, 0.1) };
        await harness.Bus.Publish(registry.Sign(new TaskCreated("task-a", spec, DateTimeOffset.UtcNow)));
        await Eventually.TrueAsync(() => harness.Published.Select<ModelVersionPublished>().Any(), Wait, "the initial version");
        var initial = await store.LoadWeightsAsync("task-a", 0, CancellationToken.None);
        var genuine = initial.Select(w => w + 0.01f).ToArray();
        var poisoned = initial.Select(w => w * 100f).ToArray();
        var genuineRef = await store.SaveCandidateAsync("task-a", 1, genuine, CancellationToken.None);
        var poisonedRef = await store.SaveCandidateAsync("task-a", 99, poisoned, CancellationToken.None); // another file than the round's own
        RoundAggregated Aggregated(string candidate) => new("task-a", 1, 0, true, candidate, [new Contribution("c1", 10, 0.1, 0.5)], [], [], null, 0.1);

        await harness.Bus.Publish(Aggregated(poisonedRef));
        await harness.Bus.Publish(impostor.Sign(Aggregated(poisonedRef)));
        await harness.Bus.Publish(aggregation.Sign(Aggregated(genuineRef)) with { AggregateRef = poisonedRef });
        await Eventually.TrueAsync(() => harness.Consumed.Select<RoundAggregated>().Count() == 3, Wait, "the three forged results to be consumed");
        await harness.Bus.Publish(aggregation.Sign(Aggregated(genuineRef)));
        await Eventually.TrueAsync(() => harness.Published.Select<RoundCompleted>().Any(), Wait, "RoundCompleted");

        Assert.Equal([0, 1], (await store.ListVersionsAsync("task-a", CancellationToken.None)).Select(v => v.Version));
        Assert.Equal(genuine, await store.LoadWeightsAsync("task-a", 1, CancellationToken.None));
        const string Foreign = "RoundAggregated's signature does not verify against the key of fl-aggregation: it was altered or signed by another key";
        Assert.Equal(
            ["Refused RoundAggregated task-a/1: RoundAggregated carries no signature of fl-aggregation, which issues it",
             "Refused RoundAggregated task-a/1: " + Foreign, "Refused RoundAggregated task-a/1: " + Foreign],
            logs.Entries.Where(e => e.StartsWith("Refused ", StringComparison.Ordinal)));
        // What the model registry publishes carries its own signature, which the selector accepts.
        var versions = harness.Published.Select<ModelVersionPublished>().Select(p => p.Context.Message).OrderBy(v => v.Version).ToArray();
        Assert.Equal([0, 1], versions.Select(v => v.Version));
        Assert.All(versions, v => Assert.Null(selector.Problem(v)));
        Assert.Null(selector.Problem(Assert.Single(harness.Published.Select<RoundCompleted>()).Context.Message));
    }
}
