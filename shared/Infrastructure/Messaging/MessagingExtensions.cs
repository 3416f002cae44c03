using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>Wires MassTransit for a service (or, in embedded mode, for every service of the process).</summary>
public static class MessagingExtensions
{
    /// <summary>Adds the bus with the transport named in configuration and the consumers that <paramref name="addConsumers"/> registers.</summary>
    /// <remarks>
    /// Call it before registering hosted services that publish when they start: hosted services start in registration order.
    /// With "RabbitMq", the broker URI comes from ConnectionStrings:rabbitmq; a missing or malformed one stops start-up with
    /// a message naming the setting. Queues are durable and publishes are confirmed by the broker (MassTransit's defaults).
    /// </remarks>
    /// <param name="services">The process's services.</param>
    /// <param name="configuration">Its settings.</param>
    /// <param name="addConsumers">Registers its consumers.</param>
    /// <param name="account">The process's broker account (<see cref="BrokerAccounts"/>), used when Messaging:AccountsDirectory is set.</param>
    public static IServiceCollection AddFlMessaging(this IServiceCollection services, IConfiguration configuration, Action<IBusRegistrationConfigurator> addConsumers,
        BrokerAccount? account = null)
    {
        ArgumentNullException.ThrowIfNull(addConsumers);
        var options = new MessagingOptions();
        configuration.GetSection(MessagingOptions.Section).Bind(options);
        OptionsValidation.ThrowIfInvalid(options, MessagingOptions.Section);
        var broker = options.IsRabbitMq ? BrokerUri(configuration) : null;
        if (broker is not null && account is not null && !string.IsNullOrWhiteSpace(options.AccountsDirectory))
        {
            var accounts = DataRoot.Resolve(configuration, options.AccountsDirectory)!;
            broker = WithAccount(broker, account, accounts);
            services.Replace(ServiceDescriptor.Singleton(_ => CommandSigning.For(accounts, account)));
        }
        services.TryAddSingleton(_ => CommandSigning.Off());
        var tls = broker is null ? null : BrokerTls.For(broker, options);
        // Hosted services that publish at start-up (node membership) must find the bus running. A broker that is down
        // makes start-up fail after the timeout instead of hanging.
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
            bus.DisableUsageTelemetry(); // MassTransit would otherwise report to its vendor's host: nothing leaves the deployment
            addConsumers(bus);
            if (broker is null)
            {
                bus.UsingInMemory((context, cfg) =>
                {
                    UseRetries(cfg, options);
                    cfg.ConfigureEndpoints(context);
                });
                return;
            }
            // Every endpoint's _error queue is watched by the "error-queues" readiness entry.
            var errorQueues = new ErrorQueues();
            services.AddSingleton(errorQueues);
            services.AddHealthChecks().Add(new HealthCheckRegistration("error-queues",
                _ => new ErrorQueueHealthCheck(broker, errorQueues, tls), HealthStatus.Degraded, ["ready"]));
            bus.AddConfigureEndpointsCallback((name, _) => errorQueues.AddEndpoint(name));
            bus.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(broker, host =>
                {
                    host.ConnectionName(AppDomain.CurrentDomain.FriendlyName);
                    if (tls is not null)
                        host.UseSsl(ssl =>
                        {
                            ssl.ServerName = tls.ServerName;
                            ssl.Protocol = BrokerTls.Protocols;
                            ssl.CertificateValidationCallback = tls.ValidateServer;
                            if (tls.ClientCertificate is { } client) ssl.Certificate = client;
                        });
                });
                cfg.PrefetchCount = options.PrefetchCount;
                UseRetries(cfg, options);
                cfg.ConfigureEndpoints(context);
            });
        });
        return services;
    }

    /// <summary>The broker URI from ConnectionStrings:rabbitmq, checked.</summary>
    public static Uri BrokerUri(IConfiguration configuration)
    {
        var value = configuration.GetConnectionString(MessagingOptions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(value))
            throw new InvalidOperationException(
                $"Invalid configuration: Messaging:Transport is RabbitMq but ConnectionStrings:{MessagingOptions.ConnectionStringName} is not set (e.g. amqp://USER:PASSWORD@rabbitmq:5672/, or amqps:// for TLS).");
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != "amqp" && uri.Scheme != "amqps") || string.IsNullOrEmpty(uri.Host))
            throw new InvalidOperationException(
                $"Invalid configuration: ConnectionStrings:{MessagingOptions.ConnectionStringName} must be an amqp:// or amqps:// URI with a host, not '{Redact(value)}'.");
        return uri;
    }

    /// <summary>The broker URI with <paramref name="account"/>'s user and the password from its file in <paramref name="directory"/>.</summary>
    public static Uri WithAccount(Uri broker, BrokerAccount account, string directory)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(account);
        var file = Path.Combine(directory, account.Name + ".password");
        if (!File.Exists(file))
            throw new InvalidOperationException(
                $"Invalid configuration: Messaging:AccountsDirectory is set but {file} (the password of broker user {account.User}) does not exist; scripts/infra.sh up writes these files.");
        var password = File.ReadAllText(file).Trim();
        if (password.Length == 0) throw new InvalidOperationException($"Invalid configuration: {file} (the password of broker user {account.User}) is empty.");
        return new UriBuilder(broker) { UserName = Uri.EscapeDataString(account.User), Password = Uri.EscapeDataString(password) }.Uri;
    }

    // One retry policy: RetryCount quick retries with exponential back-off, then RedeliveryCount slow ones (RedeliveryInterval
    // times the attempt); after all of them the message goes to the endpoint's _error queue. (MassTransit does not run a
    // second bus-level retry policy around the first, so both stages are one list of intervals.) Consumers are idempotent,
    // so a retried message is safe to handle again.
    private static void UseRetries(IBusFactoryConfigurator cfg, MessagingOptions options)
    {
        var intervals = new List<TimeSpan>();
        var quick = options.RetryInterval;
        for (var i = 0; i < options.RetryCount; i++, quick *= 2)
            intervals.Add(quick < options.RetryInterval * 10 ? quick : options.RetryInterval * 10);
        for (var i = 1; i <= options.RedeliveryCount; i++) intervals.Add(options.RedeliveryInterval * i);
        if (intervals.Count > 0) cfg.UseMessageRetry(r => r.Intervals(intervals.ToArray()));
    }

    private static string Redact(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.UserInfo) ? value.Replace(uri.UserInfo, "***", StringComparison.Ordinal) : value;
}
