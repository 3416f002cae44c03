using FlMicroservices.Aggregation;
using FlMicroservices.Aggregation.Consumers;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Security;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Registry;
using FlMicroservices.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Services.Tests.Registry;

/// <summary>With signed commands on, the registry signs ClientRegistered and the aggregation takes a client's keys only from a signed one.</summary>
public sealed class SignedClientRegisteredTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly ClientCapabilities Capabilities = new(150, 2, 1L << 30, ["logreg"]);
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_registry_publishes_each_admission_signed()
    {
        using var aggregation = CommandSigning.For(_folder.Path, BrokerAccounts.Aggregation);
        using var key = SigningKeyPair.Generate(SigningAlgorithms.EcdsaP256);
        using var attackersKey = SigningKeyPair.Generate(SigningAlgorithms.EcdsaP256);
        await using var provider = new ServiceCollection()
            .AddSingleton<IClientHealthStore>(new InMemoryClientHealthStore())
            .AddSingleton(TimeProvider.System)
            .AddLogging()
            .AddSingleton(CommandSigning.For(_folder.Path, BrokerAccounts.Registry))
            .AddRegistryService()
            .AddMassTransitTestHarness(bus => bus.SetLoadedMachineTimeouts().AddRegistryConsumers())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        await harness.Bus.Publish(new RegisterClient("node-1-c000", Capabilities, [key.ToClientKey()]));

        Assert.True(await harness.Published.Any<ClientRegistered>(), "no ClientRegistered was published");
        var registered = harness.Published.Select<ClientRegistered>().Single().Context.Message;
        Assert.False(string.IsNullOrEmpty(registered.IssuerSignature));
        Assert.Null(aggregation.Problem(registered));
        Assert.Equal("ClientRegistered's signature does not verify against the key of fl-registry: it was altered or signed by another key",
            aggregation.Problem(registered with { Keys = [attackersKey.ToClientKey()] }));
    }

    [Fact]
    public async Task A_forged_registration_substitutes_no_key_and_a_signed_one_is_stored()
    {
        using var registry = CommandSigning.For(_folder.Path, BrokerAccounts.Registry); // writes the registry's key pair
        using var impostor = CommandSigning.For(Path.Combine(_folder.Path, "impostor"), BrokerAccounts.Registry);
        using var victimsKey = SigningKeyPair.Generate(SigningAlgorithms.EcdsaP256);
        using var attackersKey = SigningKeyPair.Generate(SigningAlgorithms.EcdsaP256);
        var keys = new ClientKeyDirectory();
        var logs = new RecordedLogs();
        await using var provider = new ServiceCollection()
            .AddSingleton<ILoggerProvider>(logs)
            .AddLogging()
            .AddSingleton(keys)
            .AddSingleton(CommandSigning.For(_folder.Path, BrokerAccounts.Aggregation))
            .AddMassTransitTestHarness(bus => bus.SetLoadedMachineTimeouts().AddConsumer<ClientRegisteredConsumer>())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        ClientRegistered Registration(string client, SigningKeyPair key) => new(client, Capabilities, DateTimeOffset.UtcNow, [key.ToClientKey()]);

        await harness.Bus.Publish(registry.Sign(Registration("victim", victimsKey)));
        await Eventually.TrueAsync(() => harness.Consumed.Select<ClientRegistered>().Count() == 1, Wait, "the victim's registration consumed");
        // Each forgery would bind the attacker's key to the victim (key substitution) or to a client nobody registered.
        await harness.Bus.Publish(Registration("victim", attackersKey));
        await harness.Bus.Publish(impostor.Sign(Registration("victim", attackersKey)));
        await harness.Bus.Publish(registry.Sign(Registration("victim", victimsKey)) with { Keys = [attackersKey.ToClientKey()] });
        await harness.Bus.Publish(Registration("ghost", attackersKey));
        await Eventually.TrueAsync(() => harness.Consumed.Select<ClientRegistered>().Count() == 5, Wait, "all five consumed");

        Assert.Equal(victimsKey.ToClientKey(), await keys.FindAsync("victim", SigningAlgorithms.EcdsaP256, CancellationToken.None));
        Assert.Null(await keys.FindAsync("ghost", SigningAlgorithms.EcdsaP256, CancellationToken.None));
        const string Foreign = "Refused ClientRegistered victim: ClientRegistered's signature does not verify against the key of fl-registry: it was altered or signed by another key";
        Assert.Equal(2, logs.Entries.Count(e => e == Foreign)); // the attacker-signed and the altered one
        Assert.Equal(1, logs.Entries.Count(e => e == "Refused ClientRegistered victim: ClientRegistered carries no signature of fl-registry, which issues it"));
        Assert.Contains("Refused ClientRegistered ghost: ClientRegistered carries no signature of fl-registry, which issues it", logs.Entries);
        Assert.Equal(4, logs.Entries.Count(e => e.StartsWith("Refused ClientRegistered", StringComparison.Ordinal))); // not the signed one
    }
}
