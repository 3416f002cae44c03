using System.Runtime.InteropServices;

namespace FlMicroservices.Training.Tests;

/// <summary>A fact that needs glibc on Linux; skipped elsewhere, saying so.</summary>
public sealed class GlibcFactAttribute : FactAttribute
{
    public GlibcFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "Needs Linux with glibc: this is not Linux.";
        else if (!File.Exists("/proc/self/status")) Skip = "Needs /proc/self/status to read the resident size.";
        else if (!NativeLibrary.TryLoad("libc.so.6", out _)) Skip = "Needs glibc (libc.so.6), which this Linux does not have.";
    }
}
