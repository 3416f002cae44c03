using System.Security.Cryptography.X509Certificates;
using FlMicroservices.Edge.Consumers;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.State;
using MassTransit;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using FlMicroservices.ServiceDefaults;

namespace FlMicroservices.Edge;

/// <summary>Registration of the edge: its identities, push channels, upload path, authentication, rate limits and Kestrel's TLS.</summary>
public static class EdgeExtensions
{
    /// <summary>The edge's services (the bus, stores and update stream are added by the caller, as for every service).</summary>
    public static IServiceCollection AddEdgeService(this IServiceCollection services, IConfiguration configuration)
    {
        var options = services.AddValidatedOptions<EdgeOptions>(configuration, EdgeOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddFlState("edge", configuration, (sp, store) => ActivatorUtilities.CreateInstance<Enrolments>(sp, store));
        services.AddSingleton<PushChannels>();
        services.AddSingleton<OpenRounds>();
        services.AddSingleton<SliceUpload>();
        services.AddModelSource(configuration, string.IsNullOrWhiteSpace(options.ModelRegistryUrl) ? null
            : new Uri(options.ModelRegistryUrl.EndsWith('/') ? options.ModelRegistryUrl : options.ModelRegistryUrl + "/", UriKind.Absolute));
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, NodeAuthenticationHandler>(NodeAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(NodeAuthenticationHandler.Policy, policy => policy.AddAuthenticationSchemes(NodeAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
        services.AddSingleton<EdgeRateLimits>();
        if (options.AllowPlainHttp)
            services.AddUnsafeSettingWarning("Edge:AllowPlainHttp is true: the edge serves plain HTTP, and nodes' tokens and updates cross the network in the clear. " +
                "This is for a development machine only; never expose this process.");
        return services;
    }

    /// <summary>The edge's consumers, on queues of its own replica (every replica must see every round assignment).</summary>
    public static IBusRegistrationConfigurator AddEdgeConsumers(this IBusRegistrationConfigurator bus, string? instanceId = null)
    {
        var started = bus.AddConsumer<RoundStartedConsumer>();
        var secure = bus.AddConsumer<SecAggServerMessageConsumer>();
        if (instanceId is not null)
        {
            started.Endpoint(e => OwnQueue(e, instanceId));
            secure.Endpoint(e => OwnQueue(e, instanceId));
        }
        return bus;
    }

    /// <summary>HTTPS (HTTP/1.1 and HTTP/2) with the certificate of Edge:CertificateFile on every endpoint; plain HTTP only with Edge:AllowPlainHttp.</summary>
    public static WebApplicationBuilder UseEdgeKestrel(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new EdgeOptions();
        builder.Configuration.GetSection(EdgeOptions.Section).Bind(options);
        Infrastructure.OptionsValidation.ThrowIfInvalid(options, EdgeOptions.Section);
        var certificate = options.AllowPlainHttp && string.IsNullOrWhiteSpace(options.CertificateFile) ? null : LoadCertificate(builder.Configuration, options);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Many clients upload at once over one HTTP/2 connection: windows large enough that flow control does not throttle them.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
            kestrel.ConfigureEndpointDefaults(endpoint =>
            {
                endpoint.Protocols = HttpProtocols.Http1AndHttp2; // HTTP/2 is negotiated by ALPN over TLS; plain HTTP stays HTTP/1.1 for most clients
                if (certificate is not null) endpoint.UseHttps(certificate);
            });
        });
        return builder;
    }


    private static X509Certificate2 LoadCertificate(IConfiguration configuration, EdgeOptions options)
    {
        var certificate = DataRoot.Resolve(configuration, options.CertificateFile)!;
        var key = DataRoot.Resolve(configuration, options.CertificateKeyFile)!;
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificate, key);
            // Kestrel on Linux needs an exportable key in a PKCS#12 round trip for the TLS handshake.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidOperationException($"Invalid configuration: Edge:CertificateFile '{certificate}' with Edge:CertificateKeyFile '{key}' could not be loaded: {e.Message}");
        }
    }

    private static void OwnQueue(IEndpointRegistrationConfigurator endpoint, string instanceId)
    {
        endpoint.InstanceId = "edge-" + instanceId;
        endpoint.AddConfigureEndpointCallback(QueueExpiry.After(QueueExpiry.Default));
    }
}
