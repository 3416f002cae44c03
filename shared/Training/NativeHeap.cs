using System.Runtime.InteropServices;

namespace FlMicroservices.Training;

/// <summary>glibc malloc settings for a process whose libtorch allocates on many threads: fewer arenas, freed pages handed back (docs/benchmarks.md).</summary>
public static partial class NativeHeap
{
    /// <summary>The arenas <see cref="LimitArenas(int)"/> allows by default.</summary>
    public const int DefaultArenas = 2;

    private const int ArenaMax = -8; // M_ARENA_MAX in glibc's malloc.h

    /// <summary>
    /// Caps glibc malloc at <paramref name="arenas"/> arenas unless the environment's <c>MALLOC_ARENA_MAX</c> already decides;
    /// false where that is so or where the C library is not glibc (nothing changed).
    /// </summary>
    public static bool LimitArenas(int arenas = DefaultArenas) =>
        LimitArenas(arenas, Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX"));

    /// <summary><see cref="LimitArenas(int)"/> with the environment's <c>MALLOC_ARENA_MAX</c> given.</summary>
    public static bool LimitArenas(int arenas, string? environmentSetting)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(arenas, 1);
        if (!string.IsNullOrWhiteSpace(environmentSetting)) return false; // the operator's choice stands
        return Call(() => MallOpt(ArenaMax, arenas) == 1);
    }

    /// <summary>Returns freed native memory at the top of the heap and whole free pages inside every arena to the operating system; false where not glibc.</summary>
    public static bool Trim() => Call(() =>
    {
        MallocTrim(0);
        return true;
    });

    private static bool Call(Func<bool> call)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return call();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // another C library (musl has no malloc_trim)
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
