using System.Globalization;

namespace FlMicroservices.Simulation.Clock;

/// <summary>Profiles for a simulation's clients from a named distribution (uniform, heavy-tail, mobile) or a CSV file (docs/simulated-clock.md).</summary>
public static class DeviceProfiles
{
    /// <summary>The distributions <see cref="Create"/> knows, besides "csv:PATH".</summary>
    public static readonly IReadOnlyList<string> Names = ["uniform", "heavy-tail", "mobile"];

    /// <summary>The CSV file's header, in this order.</summary>
    public const string CsvHeader = "speed,uplink_bytes_per_second,downlink_bytes_per_second,latency_seconds,window_period_seconds,window_start_seconds,window_length_seconds,failure_probability";

    /// <summary>What is wrong with a --profiles value (null: nothing), without reading the file.</summary>
    public static string? Problem(string spec) => spec switch
    {
        _ when Names.Contains(spec) => null,
        _ when spec.StartsWith("csv:", StringComparison.Ordinal) && spec.Length > 4 => null,
        _ => $"--profiles '{spec}' is unknown ({string.Join(", ", Names)}, or csv:PATH)",
    };

    /// <summary><paramref name="count"/> profiles, seeded: the same spec, count and seed give the same profiles.</summary>
    /// <exception cref="ArgumentException">The spec is unknown, or the CSV file is unreadable or holds a bad row (named).</exception>
    public static DeviceProfile[] Create(string spec, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (Problem(spec) is { } problem) throw new ArgumentException(problem, nameof(spec));
        if (spec.StartsWith("csv:", StringComparison.Ordinal)) return ReadCsv(spec[4..], count);
        var random = new Random(unchecked(seed * 7919 + 101));
        var reference = DeviceProfile.Reference;
        return Enumerable.Range(0, count).Select(_ => spec switch
        {
            "uniform" => reference,
            // Log-normal compute and bandwidth around the reference (median 1x; sigma 1 spreads the middle 90% over about 27x),
            // as in the device traces FedScale and Oort use; a few slow or badly connected clients dominate a synchronous round.
            "heavy-tail" => reference with
            {
                Speed = LogNormal(random, 1),
                UplinkBytesPerSecond = reference.UplinkBytesPerSecond * LogNormal(random, 1),
                DownlinkBytesPerSecond = reference.DownlinkBytesPerSecond * LogNormal(random, 1),
                LatencySeconds = 0.02 + 0.3 * random.NextDouble(),
                FailureProbability = 0.02,
            },
            // Phones: slower and more spread out, trainable only in a daily idle window of 4 to 10 hours (charging at night), failing more.
            _ => reference with
            {
                Speed = 0.5 * LogNormal(random, 1),
                UplinkBytesPerSecond = 0.5 * reference.UplinkBytesPerSecond * LogNormal(random, 1),
                DownlinkBytesPerSecond = reference.DownlinkBytesPerSecond * LogNormal(random, 1),
                LatencySeconds = 0.05 + 0.45 * random.NextDouble(),
                Window = new AvailabilityWindow(AvailabilityWindow.Day, AvailabilityWindow.Day * random.NextDouble(), 3600 * (4 + 6 * random.NextDouble())),
                FailureProbability = 0.05,
            },
        }).ToArray();
    }

    private static double LogNormal(Random random, double sigma)
    {
        // Box-Muller: one standard normal from two uniforms (1 - u keeps the logarithm finite).
        var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return Math.Exp(sigma * normal);
    }

    private static DeviceProfile[] ReadCsv(string path, int count)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ArgumentException($"--profiles csv:{path}: cannot read the file ({e.Message})", nameof(path), e);
        }
        var rows = lines.Where(l => l.Trim().Length > 0).ToArray();
        if (rows.Length == 0 || rows[0].Trim() != CsvHeader)
            throw new ArgumentException($"--profiles csv:{path}: the first line must be the header {CsvHeader}", nameof(path));
        if (rows.Length - 1 < count)
            throw new ArgumentException($"--profiles csv:{path}: {rows.Length - 1} profiles for {count} clients; give one row per client", nameof(path));
        return rows.Skip(1).Take(count).Select((row, i) =>
        {
            var fields = row.Split(',');
            if (fields.Length != 8) throw new ArgumentException($"--profiles csv:{path}, line {i + 2}: {fields.Length} fields, expected 8 ({CsvHeader})", nameof(path));
            var values = new double[8];
            for (var f = 0; f < 8; f++)
                if (!double.TryParse(fields[f].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[f]) || !double.IsFinite(values[f]))
                    throw new ArgumentException($"--profiles csv:{path}, line {i + 2}: {CsvHeader.Split(',')[f]} '{fields[f].Trim()}' is not a finite number", nameof(path));
            // A window with period 0 means "always available".
            var window = values[4] == 0 ? null : new AvailabilityWindow(values[4], values[5], values[6]);
            var profile = new DeviceProfile(values[0], values[1], values[2], values[3], window, values[7]);
            return profile.Problem() is { } problem ? throw new ArgumentException($"--profiles csv:{path}, line {i + 2}: {problem}", nameof(path)) : profile;
        }).ToArray();
    }
}
