using TorchSharp;

namespace FlMicroservices.Training.Tests;

public class TorchRuntimeTests
{
    [Fact]
    public void Loading_fixes_the_thread_count_that_every_thread_then_runs_ops_with()
    {
        TorchRuntime.EnsureLoaded();

        Assert.True(TorchRuntime.Threads >= 1, "loading libtorch fixes its thread count before any op runs");
        var seen = new int[4];
        var threads = Enumerable.Range(0, seen.Length).Select(i => new Thread(() => seen[i] = torch.get_num_threads())).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.All(seen, n => Assert.Equal(TorchRuntime.Threads, n));
    }
}
