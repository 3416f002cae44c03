using System.Threading.Channels;
using FlMicroservices.Contracts.V1;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>A started in-memory bus that captures every <see cref="RoundAggregated"/> published on it.</summary>
internal sealed class CapturingBus : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private CapturingBus(ServiceProvider services, Channel<RoundAggregated> published)
    {
        _services = services;
        Published = published;
        Bus = services.GetRequiredService<IBusControl>();
    }

    public IBusControl Bus { get; }

    public Channel<RoundAggregated> Published { get; }

    public static async Task<CapturingBus> StartAsync()
    {
        var published = Channel.CreateUnbounded<RoundAggregated>();
        var collection = new ServiceCollection();
        collection.AddSingleton(published);
        collection.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddConsumer<Capture>();
            x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
        });
        var bus = new CapturingBus(collection.BuildServiceProvider(), published);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await bus.Bus.StartAsync(timeout.Token);
        return bus;
    }

    public async ValueTask DisposeAsync()
    {
        await Bus.StopAsync();
        await _services.DisposeAsync();
    }

    private sealed class Capture(Channel<RoundAggregated> published) : IConsumer<RoundAggregated>
    {
        public async Task Consume(ConsumeContext<RoundAggregated> context) => await published.Writer.WriteAsync(context.Message);
    }
}
