using FlMicroservices.Testing;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Security;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Registry;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Services.Tests.Registry;

/// <summary>Trust on first use: the registry binds a client id to the first key of each algorithm it registers with (docs/signing.md).</summary>
public sealed class ClientKeyBindingTests
{
    private static readonly ClientCapabilities Capabilities = new(150, 2, 1L << 30, ["logreg"]);

    [Fact]
    public async Task A_re_registration_with_another_key_is_refused_and_the_first_key_stays_bound()
    {
        var (provider, harness, catalog) = await StartAsync();
        await using var _ = provider;
        using var ecdsa = SigningKeyPair.Generate(SigningAlgorithms.EcdsaP256);
        using var mlDsa = SigningKeyPair.Generate(SigningAlgorithms.MlDsa65);
        using var attacker = SigningKeyPair.Generate(SigningAlgorithms.EcdsaP256);
        ClientKey[] keys = [ecdsa.ToClientKey(), mlDsa.ToClientKey()];

        await harness.Bus.Publish(new RegisterClient("node-1-c000", Capabilities, keys));
        var registered = await FirstAsync<ClientRegistered>(harness);
        await harness.Bus.Publish(new RegisterClient("node-1-c000", Capabilities, [attacker.ToClientKey()]));
        var rejected = await FirstAsync<ClientRejected>(harness);
        await harness.Bus.Publish(new RegisterClient("node-1-c000", Capabilities, [ecdsa.ToClientKey()])); // the same key again: a restart

        Assert.Equal(keys.OrderBy(k => k.Algorithm, StringComparer.Ordinal), registered.Keys!);
        Assert.Equal("ClientId 'node-1-c000' is bound to another ecdsa-p256 key (trust on first use): a registration with a different key is refused", rejected.Reason);
        Assert.True(await harness.Published.Any<ClientRegistered>(m => m.Context.Message.ClientId == "node-1-c000" && m.Context.Message != registered));
        Assert.Equal(keys.OrderBy(k => k.Algorithm, StringComparer.Ordinal), catalog.FindClient("node-1-c000")!.Keys!);
    }

    [Fact]
    public async Task A_heartbeat_cannot_rebind_a_lost_client_to_another_key()
    {
        var (provider, harness, catalog) = await StartAsync();
        await using var _ = provider;
        using var key = SigningKeyPair.Generate(SigningAlgorithms.EcdsaP256);
        using var attacker = SigningKeyPair.Generate(SigningAlgorithms.EcdsaP256);
        await catalog.RecordClientAsync("node-2-c000", Capabilities, [key.ToClientKey()], DateTimeOffset.UtcNow, CancellationToken.None);

        // The health store does not know it (a Redis loss): a heartbeat would admit it again, but not with another key.
        await harness.Bus.Publish(new ClientHeartbeat("node-2-c000", 0.1, 1000, DateTimeOffset.UtcNow, Capabilities, [attacker.ToClientKey()]));

        Assert.StartsWith("ClientId 'node-2-c000' is bound to another ecdsa-p256 key", (await FirstAsync<ClientRejected>(harness)).Reason);
        Assert.False(await harness.Published.Any<ClientRegistered>());
    }

    [Theory]
    [InlineData("rsa", "AAAA", "Keys algorithm 'rsa' is unknown (known: ecdsa-p256, ml-dsa-65)")]
    [InlineData("ecdsa-p256", "not base64!", "Keys ecdsa-p256 public key is not base64")]
    [InlineData("ecdsa-p256", "AAECAw==", "Keys ecdsa-p256 public key is not a valid ecdsa-p256 public key")]
    [InlineData("ml-dsa-65", "AAECAw==", "Keys ml-dsa-65 public key is not a valid ml-dsa-65 public key")]
    public void A_malformed_key_is_refused_naming_the_field(string algorithm, string key, string reason) =>
        Assert.Equal(reason, ClientKeyBinding.Problem([new ClientKey(algorithm, key)]));

    private static async Task<T> FirstAsync<T>(ITestHarness harness) where T : class
    {
        Assert.True(await harness.Published.Any<T>(), $"no {typeof(T).Name} was published");
        return harness.Published.Select<T>().First().Context.Message;
    }

    private static async Task<(ServiceProvider Provider, ITestHarness Harness, TaskCatalog Catalog)> StartAsync()
    {
        var provider = new ServiceCollection()
            .AddSingleton<IClientHealthStore>(new InMemoryClientHealthStore())
            .AddSingleton(TimeProvider.System)
            .AddLogging()
            .AddRegistryService()
            .AddMassTransitTestHarness(bus => bus.SetLoadedMachineTimeouts().AddRegistryConsumers())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        return (provider, harness, provider.GetRequiredService<TaskCatalog>());
    }
}
