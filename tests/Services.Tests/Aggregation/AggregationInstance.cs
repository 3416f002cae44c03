using System.Globalization;
using FlMicroservices.Aggregation;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.UpdateStream;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Testing.Aggregation;

/// <summary>One aggregation service instance, composed as its host composes it, over a bus, model store and update stream of the test's.</summary>
public sealed class AggregationInstance : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly List<IHostedService> _started = [];

    private AggregationInstance(ServiceProvider provider) => _provider = provider;

    public RoundOpener Opener => _provider.GetRequiredService<RoundOpener>();
    public UpdateRouter Router => _provider.GetRequiredService<UpdateRouter>();
    public ShardedRounds Shards => _provider.GetRequiredService<ShardedRounds>();
    public RoundCheckpointer Checkpointer => _provider.GetRequiredService<RoundCheckpointer>();
    public RoundRegistry Registry => _provider.GetRequiredService<RoundRegistry>();
    public ClientKeyDirectory Keys => _provider.GetRequiredService<ClientKeyDirectory>();
    public LateUpdateStore Late => _provider.GetRequiredService<LateUpdateStore>();

    /// <summary>One of the instance's consumers, built from its services as the bus would build it.</summary>
    public T Consumer<T>() where T : class, IConsumer => ActivatorUtilities.CreateInstance<T>(_provider);

    /// <summary>The instance's stream consumer (present when a stream was given).</summary>
    public SliceIngestionService Ingestion => _provider.GetServices<IHostedService>().OfType<SliceIngestionService>().Single();

    /// <summary>Composes the instance and starts its deadline service; <see cref="StartIngestionAsync"/> starts reading the stream.</summary>
    /// <param name="bus">Where it publishes.</param>
    /// <param name="models">Its model store.</param>
    /// <param name="options">Its "Aggregation" settings (defaults when null).</param>
    /// <param name="stream">Its update stream: consumed by the ingestion service and read back for retraction when it can be.</param>
    /// <param name="signing">Its signed commands (docs/security.md, "Signed commands"); off when null.</param>
    /// <param name="logs">Where its log entries also go, for tests that assert what it recorded.</param>
    public static async Task<AggregationInstance> StartAsync(IBus bus, IModelStore models, AggregationOptions? options = null, IUpdateStreamConsumerFactory? stream = null,
        CommandSigning? signing = null, ILoggerProvider? logs = null)
    {
        options ??= new AggregationOptions { CheckpointDirectory = "" }; // checkpoints only where a test names a folder
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Aggregation:CheckpointDirectory"] = options.CheckpointDirectory,
            ["Aggregation:CheckpointEveryRecords"] = options.CheckpointEveryRecords.ToString(CultureInfo.InvariantCulture),
            ["Aggregation:CheckpointInterval"] = options.CheckpointInterval.ToString("c", CultureInfo.InvariantCulture),
            ["Aggregation:ShardCount"] = options.ShardCount.ToString(CultureInfo.InvariantCulture),
            ["Aggregation:ShardIndex"] = options.ShardIndex.ToString(CultureInfo.InvariantCulture),
            ["Aggregation:ShardTimeout"] = options.ShardTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["Aggregation:HeldSliceBudgetBytes"] = options.HeldSliceBudgetBytes.ToString(CultureInfo.InvariantCulture),
            ["Aggregation:HeldLifetime"] = options.HeldLifetime.ToString("c", CultureInfo.InvariantCulture),
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        if (logs is not null) services.AddSingleton(logs);
        services.AddSingleton(bus);
        services.AddSingleton(models);
        services.AddSingleton(stream ?? new InProcessUpdateStream(1)); // an empty one: the ingestion service is never started then
        if (stream is IUpdateStreamReader reader) services.AddSingleton(reader);
        if (signing is not null) services.AddSingleton(signing);
        services.AddAggregationService(configuration);
        var instance = new AggregationInstance(services.BuildServiceProvider(validateScopes: true));
        await instance.StartAsync<RoundDeadlineService>();
        return instance;
    }

    /// <summary>Starts reading the update stream.</summary>
    public Task StartIngestionAsync() => StartAsync<SliceIngestionService>();

    private async Task StartAsync<T>() where T : IHostedService
    {
        var service = _provider.GetServices<IHostedService>().OfType<T>().Single();
        await service.StartAsync(CancellationToken.None);
        _started.Add(service);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in Enumerable.Reverse(_started)) await service.StopAsync(CancellationToken.None);
        await _provider.DisposeAsync();
    }
}
