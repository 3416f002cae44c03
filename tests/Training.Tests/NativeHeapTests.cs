using System.Runtime.InteropServices;

namespace FlMicroservices.Training.Tests;

/// <summary><see cref="NativeHeap"/>: glibc's arena cap and trimming (alone: the trim test reads the process's resident size).</summary>
[Collection(nameof(NativeHeapTests))]
[CollectionDefinition(nameof(NativeHeapTests), DisableParallelization = true)]
public class NativeHeapTests
{
    [Fact]
    public void An_arena_cap_in_the_environment_is_left_alone()
    {
        Assert.False(NativeHeap.LimitArenas(2, "4"));
    }

    [GlibcFact]
    public void On_glibc_the_arena_cap_is_applied()
    {
        Assert.True(NativeHeap.LimitArenas(NativeHeap.DefaultArenas, null));
    }

    [GlibcFact]
    public void Trimming_hands_freed_native_pages_back_to_the_system()
    {
        // 256 MiB in 64 KiB blocks (below glibc's mmap threshold, so they live in an arena), touched, then all freed but the
        // last, which pins the top of the heap: free() alone cannot shrink it, so the pages stay resident until trimmed.
        const int blocks = 4096, size = 64 << 10;
        var pointers = new nint[blocks];
        for (var i = 0; i < blocks; i++)
        {
            pointers[i] = Marshal.AllocHGlobal(size);
            unsafe { new Span<byte>((void*)pointers[i], size).Fill(1); }
        }
        for (var i = 0; i < blocks - 1; i++) Marshal.FreeHGlobal(pointers[i]);
        var before = ResidentBytes();

        Assert.True(NativeHeap.Trim());
        var after = ResidentBytes();
        Marshal.FreeHGlobal(pointers[^1]);

        Assert.True(before - after > 128L << 20, $"resident {before >> 20} MiB before the trim, {after >> 20} MiB after: less than 128 MiB handed back");
    }

    private static long ResidentBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
