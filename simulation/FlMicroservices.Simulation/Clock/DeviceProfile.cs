namespace FlMicroservices.Simulation.Clock;

/// <summary>How fast one virtual client computes and transfers, when it is available and how often it fails (docs/simulated-clock.md).</summary>
/// <param name="Speed">Training speed relative to the reference device (<see cref="SimulatedClock.ReferenceSamplesPerSecond"/>).</param>
/// <param name="UplinkBytesPerSecond">Upload bandwidth.</param>
/// <param name="DownlinkBytesPerSecond">Download bandwidth.</param>
/// <param name="LatencySeconds">One-way latency, paid once for the download and once for the upload.</param>
/// <param name="Window">When the client may train; null: always.</param>
/// <param name="FailureProbability">Chance that the client fails in a round it starts (it then sends nothing).</param>
public sealed record DeviceProfile(double Speed, double UplinkBytesPerSecond, double DownlinkBytesPerSecond, double LatencySeconds,
    AvailabilityWindow? Window, double FailureProbability)
{
    /// <summary>The reference device on a good connection, always available, never failing.</summary>
    public static DeviceProfile Reference { get; } = new(1, 1.25e6, 5e6, 0.05, null, 0);

    /// <summary>Simulated seconds from the round's start until the update has arrived: download, training, upload.</summary>
    public double RoundSeconds(long samplesProcessed, long downloadBytes, long uploadBytes, double referenceSamplesPerSecond) =>
        2 * LatencySeconds + downloadBytes / DownlinkBytesPerSecond + samplesProcessed / (Speed * referenceSamplesPerSecond) + uploadBytes / UplinkBytesPerSecond;

    /// <summary>What is wrong with this profile (null: nothing), naming the field.</summary>
    public string? Problem()
    {
        if (!(Speed > 0) || !double.IsFinite(Speed)) return $"speed {Speed} must be a finite number greater than 0";
        if (!(UplinkBytesPerSecond > 0) || !double.IsFinite(UplinkBytesPerSecond)) return $"uplink {UplinkBytesPerSecond} must be a finite number of bytes per second greater than 0";
        if (!(DownlinkBytesPerSecond > 0) || !double.IsFinite(DownlinkBytesPerSecond)) return $"downlink {DownlinkBytesPerSecond} must be a finite number of bytes per second greater than 0";
        if (!(LatencySeconds >= 0) || !double.IsFinite(LatencySeconds)) return $"latency {LatencySeconds} must be a finite number of seconds, 0 or more";
        if (!(FailureProbability >= 0 && FailureProbability < 1)) return $"failure probability {FailureProbability} must be in [0, 1)";
        return Window?.Problem();
    }
}

/// <summary>A window that repeats every <paramref name="PeriodSeconds"/>: open from <paramref name="StartSeconds"/> for <paramref name="LengthSeconds"/>.</summary>
public sealed record AvailabilityWindow(double PeriodSeconds, double StartSeconds, double LengthSeconds)
{
    /// <summary>A day.</summary>
    public const double Day = 86_400;

    /// <summary>True when the client is available for the whole of [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public bool Covers(double from, double to)
    {
        if (LengthSeconds >= PeriodSeconds) return true;
        if (to - from > LengthSeconds) return false;
        var opened = from - Mod(from - StartSeconds, PeriodSeconds); // the last opening at or before `from`
        return from < opened + LengthSeconds && to <= opened + LengthSeconds;
    }

    private static double Mod(double x, double m) => x - m * Math.Floor(x / m);

    public string? Problem()
    {
        if (!(PeriodSeconds > 0) || !double.IsFinite(PeriodSeconds)) return $"window period {PeriodSeconds} must be a finite number of seconds greater than 0";
        if (!(StartSeconds >= 0) || !double.IsFinite(StartSeconds)) return $"window start {StartSeconds} must be a finite number of seconds, 0 or more";
        if (!(LengthSeconds > 0) || !double.IsFinite(LengthSeconds)) return $"window length {LengthSeconds} must be a finite number of seconds greater than 0";
        return null;
    }
}
