using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Testing;

/// <summary>Services under test on MassTransit's in-memory test harness, and what was published on its bus.</summary>
public sealed class HarnessHost : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly PublishRecorder _published = new();
    private readonly Dictionary<Type, int> _taken = new();

    private HarnessHost(ServiceProvider provider, ITestHarness harness)
    {
        _provider = provider;
        Harness = harness;
        harness.Bus.ConnectPublishObserver(_published);
    }

    public ITestHarness Harness { get; }

    public IServiceProvider Services => _provider;

    public IBus Bus => Harness.Bus;

    /// <summary>Builds the services and starts the harness (its bus and the registered hosted services).</summary>
    /// <param name="services">Registrations of the services under test.</param>
    /// <param name="bus">Their consumers.</param>
    /// <param name="endpoints">Receive endpoints of the test's own, beside those of the consumers.</param>
    public static async Task<HarnessHost> StartAsync(Action<IServiceCollection>? services = null, Action<IBusRegistrationConfigurator>? bus = null,
        Action<IInMemoryBusFactoryConfigurator>? endpoints = null)
    {
        var collection = new ServiceCollection();
        collection.AddLogging();
        services?.Invoke(collection);
        collection.AddMassTransitTestHarness(x =>
        {
            x.SetLoadedMachineTimeouts();
            bus?.Invoke(x);
            if (endpoints is not null)
                x.UsingInMemory((context, cfg) =>
                {
                    endpoints(cfg);
                    cfg.ConfigureEndpoints(context);
                });
        });
        var provider = collection.BuildServiceProvider(validateScopes: true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        return new HarnessHost(provider, harness);
    }

    /// <summary>The number of <typeparamref name="T"/> messages published so far (the harness's own lists wait for inactivity first).</summary>
    public int PublishedCount<T>() where T : class => _published.Of<T>().Count;

    /// <summary>The next <typeparamref name="T"/> published (in publication order), waiting for it until <paramref name="timeout"/>.</summary>
    public async Task<T> NextPublishedAsync<T>(TimeSpan timeout) where T : class
    {
        var index = _taken.GetValueOrDefault(typeof(T));
        var message = await Eventually.ValueAsync(() => _published.Of<T>().ElementAtOrDefault(index),
            timeout, $"a {typeof(T).Name} (number {index + 1}) to be published");
        _taken[typeof(T)] = index + 1;
        return message;
    }

    public async ValueTask DisposeAsync() => await _provider.DisposeAsync();

    // Every message published on the bus, in publication order.
    private sealed class PublishRecorder : IPublishObserver
    {
        private readonly List<object> _messages = [];

        public List<T> Of<T>() where T : class
        {
            lock (_messages) return _messages.OfType<T>().ToList();
        }

        public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

        public Task PostPublish<T>(PublishContext<T> context) where T : class
        {
            lock (_messages) _messages.Add(context.Message);
            return Task.CompletedTask;
        }

        public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}
