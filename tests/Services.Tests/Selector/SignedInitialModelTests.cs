using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Selector;
using FlMicroservices.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Services.Tests.Selector;

/// <summary>With signed commands on, the selector starts a task's first round only on an initial model the model registry signed.</summary>
public sealed class SignedInitialModelTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly string _accounts = Path.Combine(Path.GetTempPath(), "fl-selector-signed-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_accounts)) Directory.Delete(_accounts, recursive: true);
    }

    private static readonly TaskSpec Spec = new()
    {
        ModelName = "logreg", SampleShape = [60], ClassCount = 10, Rounds = 1, ClientFraction = 0.5, MinClientsPerRound = 2,
        Training = new TrainingConfig(1, 32, 0.1, 0), Seed = 11,
    };

    private static ModelVersionPublished Initial(string task) => new(task, 0, 0, null, 610, "d0", null, null, false);

    [Fact]
    public async Task An_unsigned_altered_or_foreign_signed_initial_model_starts_no_round_and_a_signed_one_starts_round_1()
    {
        using var registry = CommandSigning.For(_accounts, BrokerAccounts.Registry); // writes the registry's key pair
        using var modelRegistry = CommandSigning.For(_accounts, BrokerAccounts.ModelRegistry);
        using var impostor = CommandSigning.For(Path.Combine(_accounts, "impostor"), BrokerAccounts.ModelRegistry);
        using var selector = CommandSigning.For(_accounts, BrokerAccounts.Selector);
        using var node = CommandSigning.For(_accounts, BrokerAccounts.Node);
        var health = new InMemoryClientHealthStore(TimeProvider.System);
        for (var i = 0; i < 4; i++)
            await health.UpsertAsync(new ClientHealth($"c{i}", ClientStatus.Healthy, DateTimeOffset.UtcNow, 150, 0, 1L << 30,
                [new ClientDataset("synthetic", [60], 10, 150)]), CancellationToken.None);
        var logs = new RecordedLogs();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:State"] = "InMemory" }).Build();
        await using var host = await HarnessHost.StartAsync(services => services
                .AddSingleton<ILoggerProvider>(logs)
                .AddSingleton<IConfiguration>(configuration)
                .AddSingleton<IClientHealthStore>(health)
                .AddSingleton(selector)
                .AddFlInfrastructure(configuration)
                .AddSelectorService(configuration),
            bus =>
            {
                bus.AddSelectorConsumers();
                bus.AddConsumer<AllowEveryRound>();
            });
        string[] tasks = ["unsigned", "foreign", "altered", "signed"];
        foreach (var task in tasks) await host.Bus.Publish(registry.Sign(new TaskCreated(task, Spec, DateTimeOffset.UtcNow)));
        var schedule = host.Services.GetRequiredService<TaskSchedule>();
        await Eventually.TrueAsync(() => tasks.All(t => schedule.Find(t) is not null), Wait, "the selector to know the four tasks");

        await host.Bus.Publish(Initial("unsigned"));
        await host.Bus.Publish(impostor.Sign(Initial("foreign")));
        await host.Bus.Publish(modelRegistry.Sign(Initial("altered")) with { Digest = "d1" });
        await host.Bus.Publish(modelRegistry.Sign(Initial("signed")));

        var started = await host.NextPublishedAsync<RoundStarted>(Wait);
        await Eventually.TrueAsync(() => host.Harness.Consumed.Select<ModelVersionPublished>().Count() == 4, Wait, "all four consumed");
        Assert.Equal(("signed", 1), (started.TaskId, started.Round));
        Assert.Null(node.Problem(started)); // the round the selector started is its own, signed
        Assert.Equal(1, host.PublishedCount<RoundStarted>());
        const string Foreign = "ModelVersionPublished's signature does not verify against the key of fl-model-registry: it was altered or signed by another key";
        Assert.Contains("Refused ModelVersionPublished unsigned/0 (version 0): ModelVersionPublished carries no signature of fl-model-registry, which issues it", logs.Entries);
        Assert.Contains("Refused ModelVersionPublished foreign/0 (version 0): " + Foreign, logs.Entries);
        Assert.Contains("Refused ModelVersionPublished altered/0 (version 0): " + Foreign, logs.Entries);
        Assert.DoesNotContain(logs.Entries, e => e.StartsWith("Refused ModelVersionPublished signed/", StringComparison.Ordinal));
    }
}
