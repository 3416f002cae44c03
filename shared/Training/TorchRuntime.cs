using TorchSharp;

namespace FlMicroservices.Training;

/// <summary>Process-wide TorchSharp set-up: loading the native library and choosing libtorch's thread count.</summary>
/// <remarks>
/// libtorch's intra-op thread count belongs to the process, not to a trainer or a thread: every trainer in the
/// process shares it. The first call to <see cref="EnsureInitialized"/> fixes it; later calls leave it alone,
/// so concurrent trainers with different settings cannot flip it back and forth mid-step.
/// On small machines one thread per trainer, with trainers running side by side, beats one trainer using
/// every core: libtorch's per-op parallelism costs more than it saves on the small tensors of local training.
/// </remarks>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static int _threads;
    private static bool _loaded;

    /// <summary>The thread count fixed by the first <see cref="EnsureInitialized"/> call, or 0 before it.</summary>
    public static int Threads => Volatile.Read(ref _threads);

    /// <summary>Loads libtorch and, on the first call in the process, sets its thread count.</summary>
    /// <returns>The thread count in effect, which is <paramref name="threads"/> only for the first caller.</returns>
    public static int EnsureInitialized(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        lock (Gate)
        {
            EnsureLoaded();
            if (_threads == 0)
            {
                torch.set_num_threads(threads);
                Volatile.Write(ref _threads, threads);
            }
            return _threads;
        }
    }

    /// <summary>Loads libtorch, turning a load failure into an error that says what to do about it.</summary>
    public static void EnsureLoaded()
    {
        if (Volatile.Read(ref _loaded)) return;
        lock (Gate)
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
            Volatile.Write(ref _loaded, true);
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
