using FlMicroservices.Testing;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Registry;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Services.Tests.Registry;

public sealed class ClientMembershipTests
{
    private static readonly ClientCapabilities Capabilities = new(150, 2, 1L << 30, ["logreg"], [new ClientDataset("synthetic", [60], 10, 150)], 0.25);

    private static async Task<(ServiceProvider Provider, ITestHarness Harness, InMemoryClientHealthStore Store)> StartAsync()
    {
        var store = new InMemoryClientHealthStore();
        var provider = new ServiceCollection()
            .AddSingleton<IClientHealthStore>(store)
            .AddSingleton(TimeProvider.System)
            .AddLogging()
            .AddRegistryService()
            .AddMassTransitTestHarness(bus => bus.SetLoadedMachineTimeouts().AddRegistryConsumers())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        return (provider, harness, store);
    }

    [Fact]
    public async Task A_registration_stores_the_advertised_data_sets_and_load()
    {
        var (provider, harness, store) = await StartAsync();
        await using var _ = provider;

        await harness.Bus.Publish(new RegisterClient("node-1-c000", Capabilities));

        Assert.True(await harness.Published.Any<ClientRegistered>(m => m.Context.Message.ClientId == "node-1-c000"));
        var record = await store.GetAsync("node-1-c000", CancellationToken.None);
        Assert.NotNull(record);
        Assert.Equal(0.25, record.CpuLoad);
        var dataset = Assert.Single(record.Datasets!);
        Assert.Equal(("synthetic", 10, 150), (dataset.Name, dataset.ClassCount, dataset.ExampleCount));
        Assert.Equal([60], dataset.SampleShape);
    }

    [Fact]
    public async Task A_heartbeat_from_a_client_the_store_lost_registers_it_again()
    {
        var (provider, harness, store) = await StartAsync();
        await using var _ = provider;

        await harness.Bus.Publish(new ClientHeartbeat("node-2-c001", 0.5, 1000, DateTimeOffset.UtcNow, Capabilities));

        Assert.True(await harness.Published.Any<ClientRegistered>(m => m.Context.Message.ClientId == "node-2-c001"));
        Assert.False(await harness.Published.Any<ClientRejected>());
        Assert.Equal(["node-2-c001"], await store.GetHealthyAsync(TimeSpan.FromMinutes(1), CancellationToken.None));
        Assert.Equal(0.5, (await store.GetAsync("node-2-c001", CancellationToken.None))!.CpuLoad);
    }

    [Fact]
    public async Task A_heartbeat_without_capabilities_from_an_unknown_client_is_refused()
    {
        var (provider, harness, store) = await StartAsync();
        await using var _ = provider;

        await harness.Bus.Publish(new ClientHeartbeat("node-3-c000", 0, 1000, DateTimeOffset.UtcNow));

        Assert.True(await harness.Published.Any<ClientRejected>(m => m.Context.Message.ClientId == "node-3-c000"));
        Assert.Null(await store.GetAsync("node-3-c000", CancellationToken.None));
    }

    [Fact]
    public void Bad_capabilities_are_named()
    {
        Assert.Null(ClientAdmission.Problem("c-1", Capabilities));
        Assert.Equal("Capabilities.CpuLoad NaN must be a finite number >= 0", ClientAdmission.Problem("c-1", Capabilities with { CpuLoad = double.NaN }));
        Assert.Equal("Capabilities.Datasets name 'a b' is not valid: " + Contracts.Identifiers.Rule,
            ClientAdmission.Problem("c-1", Capabilities with { Datasets = [new ClientDataset("a b", [60], 10, 1)] }));
        Assert.Equal("Capabilities.Datasets 'x' SampleShape must list 1 to 8 positive dimensions",
            ClientAdmission.Problem("c-1", Capabilities with { Datasets = [new ClientDataset("x", [0], 10, 1)] }));
        Assert.Equal("Capabilities.Datasets 'x' ClassCount 1 must be at least 2",
            ClientAdmission.Problem("c-1", Capabilities with { Datasets = [new ClientDataset("x", [60], 1, 1)] }));
    }

    [Fact]
    public async Task A_nodes_batched_heartbeats_refresh_each_client_and_refuse_the_unknown_one_by_name()
    {
        var (provider, harness, store) = await StartAsync();
        await using var _ = provider;
        var old = DateTimeOffset.UtcNow - TimeSpan.FromMinutes(10);
        foreach (var id in new[] { "node-4-c000", "node-4-c001", "node-4-c002" })
            await store.UpsertAsync(new ClientHealth(id, ClientStatus.Healthy, old, 150, 0, 1L << 30, Capabilities.Datasets), CancellationToken.None);
        Assert.Empty(await store.GetHealthyAsync(TimeSpan.FromMinutes(1), CancellationToken.None));

        var now = DateTimeOffset.UtcNow;
        await harness.Bus.Publish(new ClientHeartbeats("node-4", 0.3, 1000, now,
            [new HostedClientBeat("node-4-c000"), new HostedClientBeat("node-4-c001"), new HostedClientBeat("node-4-c002"), new HostedClientBeat("stranger")]));

        Assert.True(await harness.Consumed.Any<ClientHeartbeats>()); // recorded once the consumer finished every beat
        Assert.True(await harness.Published.Any<ClientRejected>(m => m.Context.Message.ClientId == "stranger"));
        Assert.Equal(["node-4-c000", "node-4-c001", "node-4-c002"], (await store.GetHealthyAsync(TimeSpan.FromMinutes(1), CancellationToken.None)).Order());
        Assert.Equal(0.3, (await store.GetAsync("node-4-c002", CancellationToken.None))!.CpuLoad);
        Assert.Null(await store.GetAsync("stranger", CancellationToken.None));
    }

    [Fact]
    public async Task A_batch_over_the_limit_is_refused_whole()
    {
        var (provider, harness, store) = await StartAsync();
        await using var _ = provider;
        var beats = Enumerable.Range(0, ClientHeartbeats.MaxBeats + 1).Select(i => new HostedClientBeat($"node-5-c{i:D4}", Capabilities)).ToArray();

        await harness.Bus.Publish(new ClientHeartbeats("node-5", 0, 1000, DateTimeOffset.UtcNow, beats));

        Assert.True(await harness.Consumed.Any<ClientHeartbeats>());
        Assert.False(await harness.Published.Any<ClientRegistered>());
        Assert.Null(await store.GetAsync("node-5-c0000", CancellationToken.None));
    }
}
