using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Registry;
using FlMicroservices.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Services.Tests.Registry;

/// <summary>The registry keeps its tasks and admitted clients in its SQLite file: a restarted registry still knows them.</summary>
public sealed class RegistryRestartTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly ClientCapabilities Capabilities = new(150, 2, 1L << 30, ["logreg"], [new ClientDataset("synthetic", [60], 10, 150)], 0.25);
    private static readonly TaskSpec Spec = new() { ModelName = "logreg", SampleShape = [60], ClassCount = 10, Rounds = 2, Training = new TrainingConfig(1, 32, 0.1) };
    private readonly StateFolder _state = new();

    public void Dispose() => _state.Dispose();

    // A fresh health store each run: the in-memory one loses its clients with the process, as Redis may.
    private Task<HarnessHost> StartAsync() =>
        _state.StartAsync(services => services
                .AddSingleton<IClientHealthStore>(new InMemoryClientHealthStore())
                .AddSingleton(TimeProvider.System)
                .AddRegistryService(_state.Configuration()),
            bus => bus.AddRegistryConsumers());

    [Fact]
    public async Task A_restarted_registry_still_knows_its_tasks_and_admits_a_known_client_on_its_heartbeat()
    {
        await using (var first = await StartAsync())
        {
            await first.Bus.Publish(new CreateTask("task-g", Spec));
            await first.NextPublishedAsync<TaskCreated>(Wait);
            await first.Bus.Publish(new RegisterClient("node-1-c000", Capabilities));
            await first.NextPublishedAsync<ClientRegistered>(Wait);
        }

        await using var host = await StartAsync();
        var catalog = host.Services.GetRequiredService<TaskCatalog>();
        await catalog.RestoreAsync(CancellationToken.None);
        Assert.Equal(["task-g"], catalog.TaskIds);
        Assert.Equal(Spec.Rounds, catalog.Find("task-g")!.Rounds);
        Assert.Equal(Capabilities.Datasets![0].Name, catalog.FindClient("node-1-c000")!.Capabilities.Datasets![0].Name);

        await host.Bus.Publish(new CreateTask("task-g", Spec)); // the same id again: refused, as before the restart
        Assert.Equal("TaskId 'task-g' already exists", (await host.NextPublishedAsync<TaskRejected>(Wait)).Reason);
        await host.Bus.Publish(new ClientHeartbeat("node-1-c000", 0.5, 1L << 29, DateTimeOffset.UtcNow)); // no capabilities in it
        var registered = await host.NextPublishedAsync<ClientRegistered>(Wait);
        Assert.Equal(150, registered.Capabilities.ExampleCount);
        Assert.Equal(0, host.PublishedCount<ClientRejected>());
    }
}
