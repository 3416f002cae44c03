using FlMicroservices.Infrastructure;
using FlMicroservices.Node;
using FlMicroservices.Training;
using Microsoft.Extensions.Hosting;

// A node as its own process, like `fl node`: which clients it hosts and their data come from the "Node" settings (Node__Id,
// Node__Clients, Node__Dataset, Node__Part, Node__Of, ...; docs/deployment.md), brokers and stores from the same settings
// as the services'. A bad setting ends the process with exit code 2 and a message naming it.
NativeHeap.LimitArenas(); // before any thread allocates: fewer glibc arenas for libtorch (docs/benchmarks.md)
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddFlSecretFiles(); // e.g. ConnectionStrings__rabbitmq from /run/secrets in a container
try
{
    var setup = builder.Services.AddValidatedOptions<NodeClientsOptions>(builder.Configuration, NodeOptions.Section);
    var hosted = NodeClients.Load(setup);
    Console.Error.WriteLine($"node {setup.Id}: {hosted.Description}");
    builder.AddNodeProcess(setup.Id, hosted.Clients);
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException
                          || (e is InvalidOperationException && e.Message.StartsWith("Invalid configuration", StringComparison.Ordinal)))
{
    Console.Error.WriteLine($"node: {e.Message}");
    return 2;
}
using var host = builder.Build();
await host.RunAsync();
return 0;
