using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>
/// CPU time consumed by the calling thread, for <see cref="SecAggSimulator"/>'s costs and the benchmarks (`fl bench secagg`, `fl bench aggregate`): on Linux
/// <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c> (user and system time of this thread only, so other processes on a shared
/// machine and the runtime's background threads do not count; page faults and blocking garbage collections on this thread
/// do), elsewhere the elapsed time (<see cref="Stopwatch"/>), which equals it only on an otherwise idle machine.
/// </summary>
public static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;
    private static readonly bool UseThreadClock = OperatingSystem.IsLinux() && Probe();

    /// <summary>True when the readings are thread CPU time, false when they are elapsed time.</summary>
    public static bool MeasuresCpuTime => UseThreadClock;

    /// <summary>A reading in nanoseconds (arbitrary origin; only differences on the same thread mean anything).</summary>
    public static long Now()
    {
        if (UseThreadClock && ClockGetTime(ClockThreadCpuTimeId, out var time) == 0) return time.Seconds * 1_000_000_000 + time.Nanoseconds;
        return (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
    }

    public static TimeSpan ToTimeSpan(long nanoseconds) => TimeSpan.FromTicks(nanoseconds / 100);

    private static bool Probe()
    {
        try
        {
            return ClockGetTime(ClockThreadCpuTimeId, out _) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
