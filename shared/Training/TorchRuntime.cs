using TorchSharp;

namespace FlMicroservices.Training;

/// <summary>Process-wide TorchSharp set-up: loading the native library and choosing libtorch's thread count.</summary>
/// <remarks>
/// libtorch's intra-op thread count belongs to the process, and each thread that runs an op takes the count in force the
/// first time it does (OpenMP's per-thread setting): a thread that ran an op before the count was set keeps the default,
/// and reductions on it add in another order, changing the last bits of a seeded run. So the count is fixed as libtorch
/// loads, before any op: by the first <see cref="EnsureInitialized"/> call, or <see cref="DefaultThreads"/> when
/// <see cref="EnsureLoaded"/> comes first. One thread per trainer, with trainers side by side, beats one trainer using
/// every core on small machines (per-op parallelism costs more than it saves on local training's small tensors).
/// </remarks>
public static class TorchRuntime
{
    /// <summary>The thread count set when libtorch is loaded without an explicit one.</summary>
    public const int DefaultThreads = 1;

    private static readonly Lock Gate = new();
    private static int _threads;
    private static bool _loaded;

    /// <summary>The thread count fixed when libtorch was loaded, or 0 before it.</summary>
    public static int Threads => Volatile.Read(ref _threads);

    /// <summary>Loads libtorch and, on the first call in the process, sets its thread count.</summary>
    /// <returns>The thread count in effect, which is <paramref name="threads"/> only for the first caller.</returns>
    public static int EnsureInitialized(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        lock (Gate)
        {
            Load();
            if (_threads == 0)
            {
                torch.set_num_threads(threads);
                Volatile.Write(ref _threads, threads);
            }
            return _threads;
        }
    }

    /// <summary>Loads libtorch (with <see cref="DefaultThreads"/> when nothing set the count before), turning a load failure into an error that says what to do about it.</summary>
    public static void EnsureLoaded()
    {
        if (Volatile.Read(ref _threads) != 0) return;
        EnsureInitialized(DefaultThreads);
    }

    // Caller holds the gate.
    private static void Load()
    {
        if (_loaded) return;
        try
        {
            // The first touch of the torch class loads libLibTorchSharp.so and libtorch.
            _ = torch.get_num_threads();
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            throw new InvalidOperationException(
                "TorchSharp's native library did not load. On Debian 12 and Ubuntu 22.04 its copy in the build output must have " +
                "its GLIBCXX_3.4.32 requirement marked weak, which the build does (Directory.Build.targets); run the program " +
                $"from its build output after a build on Linux. Cause: {Innermost(e).Message}", e);
        }
        _loaded = true;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
