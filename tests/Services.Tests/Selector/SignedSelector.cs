using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Selector;
using FlMicroservices.Testing;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Services.Tests.Selector;

/// <summary>The selector on the test harness with signed commands on, four healthy clients that fit <see cref="Spec"/> and its log recorded.</summary>
internal static class SignedSelector
{
    public static readonly TaskSpec Spec = new()
    {
        ModelName = "logreg", SampleShape = [60], ClassCount = 10, Rounds = 1, ClientFraction = 0.5, MinClientsPerRound = 2,
        Training = new TrainingConfig(1, 32, 0.1, 0), Seed = 11,
    };

    /// <param name="selector">The selector's command signing (its account's keys).</param>
    /// <param name="services">The privacy accountant's part, and whatever else the test registers.</param>
    /// <param name="bus">The test's consumers beside the selector's (the privacy accountant's).</param>
    public static async Task<HarnessHost> StartAsync(CommandSigning selector, RecordedLogs logs, Action<IServiceCollection> services,
        Action<IBusRegistrationConfigurator> bus)
    {
        var health = new InMemoryClientHealthStore(TimeProvider.System);
        for (var i = 0; i < 4; i++)
            await health.UpsertAsync(new ClientHealth($"c{i}", ClientStatus.Healthy, DateTimeOffset.UtcNow, 150, 0, 1L << 30,
                [new ClientDataset("synthetic", [60], 10, 150)]), CancellationToken.None);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:State"] = "InMemory" }).Build();
        return await HarnessHost.StartAsync(collection =>
            {
                collection.AddSingleton<ILoggerProvider>(logs)
                    .AddSingleton<IConfiguration>(configuration)
                    .AddSingleton<IClientHealthStore>(health)
                    .AddSingleton(selector);
                services(collection);
                collection.AddFlInfrastructure(configuration).AddSelectorService(configuration);
            },
            x =>
            {
                x.AddSelectorConsumers();
                bus(x);
            });
    }
}
