using FlMicroservices.Infrastructure.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace FlMicroservices.Integration.Tests.Messaging;

/// <summary>A host running only the platform's bus configuration (AddFlMessaging over RabbitMQ, no consumers): a publisher as the services are.</summary>
internal static class PlatformBus
{
    public static async Task<IHost> StartAsync(string brokerUri)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "RabbitMq",
            ["ConnectionStrings:rabbitmq"] = brokerUri,
        });
        builder.Services.AddFlMessaging(builder.Configuration, _ => { });
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.StartAsync(timeout.Token);
        return host;
    }
}
