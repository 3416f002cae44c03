using Microsoft.Extensions.Hosting;

namespace FlMicroservices.Simulation;

/// <summary>Builds the process that hosts an embedded run from its <see cref="EmbeddedHostSetup"/> (a plain host, or a web host that also serves pages).</summary>
public interface IEmbeddedHostFactory
{
    IHost Build(EmbeddedHostSetup setup);
}
