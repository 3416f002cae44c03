namespace FlMicroservices.Infrastructure.Telemetry;

/// <summary>Where a process exports its traces and metrics; bound from the "Telemetry" section.</summary>
/// <remarks>OTLP export is on whenever OTEL_EXPORTER_OTLP_ENDPOINT is set (the Aspire AppHost sets it).</remarks>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>Write every span and, every <see cref="ConsoleMetricsIntervalSeconds"/>, every metric to standard output.</summary>
    public bool Console { get; set; }

    /// <summary>How often the console exporter writes the metrics.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 3600)]
    public int ConsoleMetricsIntervalSeconds { get; set; } = 60;

    /// <summary>Serve the metrics in Prometheus' text format at GET /metrics (services only; nodes have no HTTP endpoint).</summary>
    public bool Prometheus { get; set; } = true;
}
