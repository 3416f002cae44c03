using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FlMicroservices.Infrastructure.Telemetry;

/// <summary>OpenTelemetry for any process of the platform (services and nodes): the platform's and MassTransit's signals, exporters by configuration.</summary>
public static class TelemetryExtensions
{
    /// <summary>Traces and metrics of <see cref="FlTelemetry"/> and MassTransit, exported over OTLP and/or to the console as configured.</summary>
    public static OpenTelemetryBuilder AddFlTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        var options = new TelemetryOptions();
        builder.Configuration.GetSection(TelemetryOptions.Section).Bind(options);
        OptionsValidation.ThrowIfInvalid(options, TelemetryOptions.Section);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics =>
            {
                metrics.AddRuntimeInstrumentation().AddMeter("MassTransit").AddMeter(FlTelemetry.MeterName);
                if (options.Console)
                    metrics.AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = options.ConsoleMetricsIntervalSeconds * 1000);
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource("MassTransit").AddSource(FlTelemetry.ActivitySourceName);
                if (options.Console) tracing.AddConsoleExporter();
            });
        // Exported only where a collector is configured (OTEL_EXPORTER_OTLP_ENDPOINT, which the Aspire AppHost sets).
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) telemetry.UseOtlpExporter();
        return telemetry;
    }
}
