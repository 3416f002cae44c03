namespace FlMicroservices.Dashboard.Components.Shared;

/// <summary>One line of a <see cref="LineChart"/>: its name, colour and points (x = round).</summary>
public sealed record ChartSeries(string Name, string Color, IReadOnlyList<ChartPoint> Points);

/// <summary>A point of a chart series.</summary>
public readonly record struct ChartPoint(double X, double Y);
