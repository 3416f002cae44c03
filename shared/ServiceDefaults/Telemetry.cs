using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FlMicroservices.ServiceDefaults;

/// <summary>The platform's own meter and activity source (OpenTelemetry picks both up).</summary>
public static class Telemetry
{
    public const string MeterName = "FlMicroservices";
    public const string ActivitySourceName = "FlMicroservices";

    public static ActivitySource Source { get; } = new(ActivitySourceName);
}
