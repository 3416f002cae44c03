using Microsoft.Extensions.Hosting;

namespace FlMicroservices.Simulation;

/// <summary>The default host of an embedded run: no web server, only the platform and its virtual clients.</summary>
public sealed class GenericEmbeddedHost : IEmbeddedHostFactory
{
    public static GenericEmbeddedHost Instance { get; } = new();

    public IHost Build(EmbeddedHostSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        setup.Configure(builder);
        return builder.Build();
    }
}
