using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Selector;
using FlMicroservices.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Services.Tests.Selector;

/// <summary>With signed commands on, the selector starts a task's first round only on an initial model the model registry signed.</summary>
public sealed class SignedInitialModelTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static ModelVersionPublished Initial(string task) => new(task, 0, 0, null, 610, "d0", null, null, false);

    [Fact]
    public async Task An_unsigned_altered_or_foreign_signed_initial_model_starts_no_round_and_a_signed_one_starts_round_1()
    {
        using var registry = CommandSigning.For(_folder.Path, BrokerAccounts.Registry); // writes the registry's key pair
        using var modelRegistry = CommandSigning.For(_folder.Path, BrokerAccounts.ModelRegistry);
        using var impostor = CommandSigning.For(Path.Combine(_folder.Path, "impostor"), BrokerAccounts.ModelRegistry);
        using var selector = CommandSigning.For(_folder.Path, BrokerAccounts.Selector);
        using var node = CommandSigning.For(_folder.Path, BrokerAccounts.Node);
        using var accountant = CommandSigning.For(_folder.Path, BrokerAccounts.PrivacyAccounting);
        var logs = new RecordedLogs();
        await using var host = await SignedSelector.StartAsync(selector, logs, services => services.AddSingleton(new PrivacyAccountantKey(accountant)),
            bus => bus.AddConsumer<AllowEveryRound>());
        string[] tasks = ["unsigned", "foreign", "altered", "signed"];
        foreach (var task in tasks) await host.Bus.Publish(registry.Sign(new TaskCreated(task, SignedSelector.Spec, DateTimeOffset.UtcNow)));
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
