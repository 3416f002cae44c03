using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>Wires MassTransit for a service (or, in embedded mode, for every service of the process).</summary>
public static class MessagingExtensions
{
    /// <summary>Adds the bus with the transport named in configuration and the consumers that <paramref name="addConsumers"/> registers.</summary>
    /// <remarks>Call it before registering hosted services that publish when they start: hosted services start in registration order.</remarks>
    public static IServiceCollection AddFlMessaging(this IServiceCollection services, IConfiguration configuration, Action<IBusRegistrationConfigurator> addConsumers)
    {
        ArgumentNullException.ThrowIfNull(addConsumers);
        var options = new MessagingOptions();
        configuration.GetSection(MessagingOptions.Section).Bind(options);
        OptionsValidation.ThrowIfInvalid(options, MessagingOptions.Section);
        // Hosted services that publish at start-up (node membership) must find the bus running.
        services.AddOptions<MassTransitHostOptions>().Configure(host =>
        {
            host.WaitUntilStarted = true;
            host.StartTimeout = TimeSpan.FromSeconds(60);
            host.StopTimeout = TimeSpan.FromSeconds(30);
        });
        services.AddMassTransit(bus =>
        {
            // Services share consumer class names (every service has a RoundCompletedConsumer): the namespace keeps their queues apart.
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(includeNamespace: true));
            addConsumers(bus);
            bus.UsingInMemory((context, cfg) =>
            {
                cfg.UseMessageRetry(r => r.Interval(options.RetryCount, TimeSpan.FromMilliseconds(200)));
                cfg.ConfigureEndpoints(context);
            });
        });
        return services;
    }
}
