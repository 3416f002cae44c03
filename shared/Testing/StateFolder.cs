using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlMicroservices.Testing;

/// <summary>A data root of its own for one test: services configured with it keep their SQLite state files there.</summary>
public sealed class StateFolder : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "fl-state-" + Guid.NewGuid().ToString("N"));

    /// <summary>Configuration naming <see cref="Root"/> as the data root, plus <paramref name="settings"/>.</summary>
    public IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>(
            settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)).Prepend(new("Storage:Root", Root)))).Build();

    public string FileOf(string service) => Path.Combine(Root, "state", service + ".db");

    /// <summary>One run of a service (a process): its registrations on a fresh harness; dispose it to end the run.</summary>
    /// <remarks>The logger factory outlives the run: MassTransit keeps the first bus's log context in a static, which a disposed factory would break.</remarks>
    public Task<HarnessHost> StartAsync(Action<IServiceCollection> services, Action<IBusRegistrationConfigurator> bus) =>
        HarnessHost.StartAsync(collection =>
        {
            collection.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
            services(collection);
        }, bus);

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
