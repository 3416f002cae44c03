using System.Diagnostics;
using FlMicroservices.Infrastructure.Telemetry;

namespace FlMicroservices.ServiceDefaults;

/// <summary>The names OpenTelemetry subscribes to: the platform's own meter and activity source (see <see cref="FlTelemetry"/>).</summary>
public static class Telemetry
{
    public const string MeterName = FlTelemetry.MeterName;
    public const string ActivitySourceName = FlTelemetry.ActivitySourceName;

    public static ActivitySource Source => FlTelemetry.Source;
}
