namespace FlMicroservices.Node;

/// <summary>This process's CPU use since the previous reading, as a share of all cores (0 idle, 1 every core busy).</summary>
public sealed class CpuLoadMeter(TimeProvider clock)
{
    private readonly Lock _gate = new();
    private TimeSpan _lastCpu = Environment.CpuUsage.TotalTime;
    private long _lastTimestamp = clock.GetTimestamp();

    public double Sample()
    {
        lock (_gate)
        {
            var cpu = Environment.CpuUsage.TotalTime;
            var now = clock.GetTimestamp();
            var wall = clock.GetElapsedTime(_lastTimestamp, now);
            var used = cpu - _lastCpu;
            (_lastCpu, _lastTimestamp) = (cpu, now);
            if (wall <= TimeSpan.Zero) return 0;
            return Math.Clamp(used / wall / Environment.ProcessorCount, 0, 1);
        }
    }
}
