using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Stores;
using FlMicroservices.Infrastructure.Telemetry;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FlMicroservices.ServiceDefaults;

/// <summary>
/// What every service process shares: adapters chosen by configuration, OpenTelemetry traces and metrics, and the live and
/// ready health endpoints. The same library serves `dotnet run --project services/&lt;Name&gt;`, containers and the Aspire AppHost.
/// </summary>
public static class ServiceDefaultsExtensions
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public const string ReadyTag = "ready";
    public const string MetricsPath = "/metrics";

    /// <summary>Adds telemetry and health checks; adapters are added by <see cref="AddFlAdapters"/>.</summary>
    public static TBuilder AddFlServiceDefaults<TBuilder>(this TBuilder builder, string serviceName) where TBuilder : IHostApplicationBuilder
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        builder.Configuration.AddFlSecretFiles();
        var telemetry = new TelemetryOptions();
        builder.Configuration.GetSection(TelemetryOptions.Section).Bind(telemetry);
        builder.AddFlTelemetry(serviceName)
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation();
                if (telemetry.Prometheus) metrics.AddPrometheusExporter();
            })
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path)));
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// The stores and the update stream named in configuration, with readiness checks for each external one. MassTransit
    /// registers its own bus check (tagged "ready") when it is added.
    /// </summary>
    public static IServiceCollection AddFlAdapters(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddFlStoresAndStreams(configuration);
        // One readiness check per external store (each adapter registers a probe).
        services.AddHealthChecks().Add(new HealthCheckRegistration("stores", sp => new StoreProbesHealthCheck(sp.GetServices<StoreProbe>()),
            HealthStatus.Unhealthy, [ReadyTag]));
        var stream = new UpdateStreamOptions();
        configuration.GetSection(UpdateStreamOptions.Section).Bind(stream);
        if (stream.IsKafka)
            services.AddHealthChecks().Add(new HealthCheckRegistration("kafka",
                sp => new KafkaHealthCheck(configuration.GetConnectionString(UpdateStreamOptions.ConnectionStringName)!,
                    sp.GetRequiredService<IOptions<KafkaSecurityOptions>>().Value), HealthStatus.Unhealthy, [ReadyTag]));
        return services;
    }

    /// <summary>GET /health/live: the process runs. GET /health/ready: every broker and store connection works. GET /metrics when Prometheus is on.</summary>
    public static WebApplication MapFlHealthEndpoints(this WebApplication app)
    {
        if (app.Configuration.GetValue(TelemetryOptions.Section + ":" + nameof(TelemetryOptions.Prometheus), true))
            app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous();
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") }).AllowAnonymous();
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag) || check.Tags.Contains("masstransit"),
            ResponseWriter = HealthReportWriter.WriteAsync,
        }).AllowAnonymous(); // probes carry no token, also where the operator API requires one
        return app;
    }

    // Probes and scrapes are not traced: they would bury the rounds' traces.
    private static bool IsProbe(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments(MetricsPath);

    /// <summary>Builds, maps the health endpoints and runs a service; configuration errors stop it with a message naming the setting.</summary>
    /// <param name="serviceName">The service's name in telemetry and messages.</param>
    /// <param name="args">The process's arguments.</param>
    /// <param name="configure">Adds the service's adapters and logic.</param>
    /// <param name="map">Maps the service's own endpoints, if it has any.</param>
    public static int RunService(string serviceName, string[] args, Action<WebApplicationBuilder> configure, Action<WebApplication>? map = null)
    {
        try
        {
            var builder = WebApplication.CreateBuilder(args);
            builder.AddFlServiceDefaults(serviceName);
            configure(builder);
            var app = builder.Build();
            app.MapFlHealthEndpoints();
            map?.Invoke(app);
            app.MapGet("/", () => Results.Text($"{serviceName}: see {LivePath} and {ReadyPath}\n")).AllowAnonymous();
            app.Run();
            return 0;
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("Invalid configuration", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"{serviceName}: {e.Message}");
            return 2;
        }
        catch (StartupCheckException e)
        {
            Console.Error.WriteLine($"{serviceName}: {e.Message}");
            return 3;
        }
    }
}
