using System.Collections.Concurrent;
using System.Security.Cryptography;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Security;
using FlMicroservices.Dashboard.Consumers;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Dashboard.Tests;

/// <summary>With signed commands on, the dashboard shows each event it reads on the bus only as its issuer signed it.</summary>
public sealed class SignedLiveEventsTests : IDisposable
{
    private const string Foreign = "signature does not verify against the key of";
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static TaskCreated Created(string task) => new(task, new TaskSpec
    {
        ModelName = "logreg", SampleShape = [4], ClassCount = 2, Rounds = 3, ClientFraction = 0.5, Training = new TrainingConfig(1, 10, 0.1),
    }, DateTimeOffset.UtcNow);

    private static RoundStarted Started(string task) => new(task, 2, 1, ["a", "b"], DateTimeOffset.UtcNow.AddMinutes(5),
        new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, 256, "logreg", "fedavg", [], 0.5, 1);

    private static RoundCompleted Completed(string task) => new(task, 2, 2, true, false, 0.9, 0.3, ["a", "b"],
        [new Contribution("a", 60, 1.25, 0.4), new Contribution("b", 40, 0.75, 0.5)], [], [], null, DateTimeOffset.UtcNow);

    private static ModelVersionPublished Published(string task) => new(task, 2, 2, 1, 10, "sha256:0a1b", 0.9, 0.3, false);

    private static TaskCompleted Ended(string task) => new(task, 3, 3, 0.9, "all rounds completed", DateTimeOffset.UtcNow);

    public static TheoryData<string> Messages => ["TaskCreated", "RoundStarted", "RoundCompleted", "ModelVersionPublished", "TaskCompleted"];

    [Theory]
    [MemberData(nameof(Messages))]
    public Task Only_the_issuers_signed_event_reaches_the_pages_and_each_forgery_is_refused_with_its_reason(string message) => message switch
    {
        // other: another issuing service, whose genuine key signs the forgery.
        "TaskCreated" => OnlySignedShownAsync<TaskCreatedConsumer, TaskCreated>(Created, m => m with { Spec = m.Spec with { Rounds = 500 } },
            BrokerAccounts.Registry, BrokerAccounts.Selector),
        "RoundStarted" => OnlySignedShownAsync<RoundStartedConsumer, RoundStarted>(Started, m => m with { Privacy = new PrivacyConfig(true, 1.1, 1, 8, 1e-5) },
            BrokerAccounts.Selector, BrokerAccounts.Aggregation),
        "RoundCompleted" => OnlySignedShownAsync<RoundCompletedConsumer, RoundCompleted>(Completed, m => m with { Accuracy = 0.99 },
            BrokerAccounts.ModelRegistry, BrokerAccounts.Registry),
        "ModelVersionPublished" => OnlySignedShownAsync<ModelVersionPublishedConsumer, ModelVersionPublished>(Published, m => m with { Version = 7 },
            BrokerAccounts.ModelRegistry, BrokerAccounts.Selector),
        // A forged TaskCompleted would tell operators a running task had ended.
        "TaskCompleted" => OnlySignedShownAsync<TaskCompletedConsumer, TaskCompleted>(Ended, m => m with { Succeeded = false, Reason = "cancelled by operator" },
            BrokerAccounts.Selector, BrokerAccounts.Registry),
        _ => throw new ArgumentOutOfRangeException(nameof(message)),
    };

    private async Task OnlySignedShownAsync<TConsumer, T>(Func<string, T> make, Func<T, T> alter, BrokerAccount issuer, BrokerAccount other)
        where TConsumer : class, IConsumer<T> where T : class
    {
        var kind = SignedCommands.Of<T>();
        using var signer = CommandSigning.For(_folder.Path, issuer); // writes the issuer's key pair
        using var impostor = CommandSigning.For(Path.Combine(_folder.Path, "impostor"), issuer); // the issuer's name, a key of its own
        using (CommandSigning.For(_folder.Path, other)) { } // writes the other service's key pair
        using var othersKey = PrivateKey(other);
        var live = new LiveEvents();
        var shown = new ConcurrentQueue<string>();
        using var page = live.Subscribe(e => { shown.Enqueue(e.TaskId); return Task.CompletedTask; });
        var logs = new RecordedLogs();
        await using var provider = new ServiceCollection()
            .AddSingleton<ILoggerProvider>(logs)
            .AddLogging()
            .AddSingleton(live)
            .AddSingleton(CommandSigning.For(_folder.Path, BrokerAccounts.Dashboard))
            .AddMassTransitTestHarness(x => x.SetLoadedMachineTimeouts().AddConsumer<TConsumer>())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        var unsigned = make("unsigned");
        var foreign = impostor.Sign(make("impostor"));
        var byOther = kind.WithSignature(make("other-service"), Convert.ToBase64String(othersKey.Sign(CommandSigning.Statement(make("other-service")))));
        var altered = alter(signer.Sign(make("altered")));
        foreach (var forged in new[] { unsigned, foreign, byOther, altered }) await harness.Bus.Publish(forged);
        await harness.Bus.Publish(signer.Sign(make("signed")));
        await Eventually.TrueAsync(() => harness.Consumed.Select<T>().Count() == 5, TimeSpan.FromSeconds(30), "all five consumed");

        Assert.Equal(["signed"], shown);
        var name = typeof(T).Name;
        Assert.Contains($"Refused {name} {kind.Subject(unsigned)}: {name} carries no signature of {issuer.User}, which issues it", logs.Entries);
        foreach (var forged in new[] { foreign, byOther, altered })
            Assert.Contains($"Refused {name} {kind.Subject(forged)}: {name}'s {Foreign} {issuer.User}: it was altered or signed by another key", logs.Entries);
        Assert.Equal(4, logs.Entries.Count(e => e.StartsWith("Refused " + name, StringComparison.Ordinal)));
    }

    // A service's key as the service holds it (NAME.command-key, PKCS#8 PEM).
    private EcdsaP256KeyPair PrivateKey(BrokerAccount account)
    {
        var pem = File.ReadAllText(Path.Combine(_folder.Path, account.Name + ".command-key"));
        return EcdsaP256KeyPair.Import(Convert.FromBase64String(pem[PemEncoding.Find(pem).Base64Data]));
    }
}
