using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FlMicroservices.Testing;

/// <summary>The outcome of one command: exit code and what it printed.</summary>
public sealed record CommandResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs short commands (server start scripts, control tools) with a time limit, and finds free ports.</summary>
public static class ProcessRunner
{
    /// <summary>
    /// Runs <paramref name="file"/> to completion or kills it after <paramref name="timeout"/> (exit code -1 then).
    /// Output of daemons the command leaves behind is not waited for: only the command's own exit counts.
    /// </summary>
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment,
        TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (environment is not null)
        {
            foreach (var (name, value) in environment) start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{file}'.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var exitCode = -1;
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            exitCode = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* exited meanwhile */ }
            cancellationToken.ThrowIfCancellationRequested();
        }
        // A daemon started by the command may hold the pipes open: take what arrived within a moment.
        var output = await ReadSoonAsync(stdout).ConfigureAwait(false) + await ReadSoonAsync(stderr).ConfigureAwait(false);
        if (exitCode == -1) output += $"\n(killed after {timeout.TotalSeconds:0.#} s)";
        return new CommandResult(exitCode, output.Trim());
    }

    /// <summary>A TCP port on 127.0.0.1 that nothing listens on right now, below the ephemeral range (<see cref="LoopbackPorts"/>).</summary>
    public static int FreePort() => LoopbackPorts.Free();

    /// <summary>The full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Whether the process <paramref name="pid"/> still runs.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Kills <paramref name="pid"/> if it still runs.</summary>
    public static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Waits until <paramref name="pid"/> has exited or <paramref name="timeout"/> passed; true when it exited.</summary>
    public static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(50).ConfigureAwait(false);
        }
        return true;
    }

    public static string Tail(string path, int lines = 20)
    {
        try
        {
            return File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(lines)) : $"({path} does not exist)";
        }
        catch (IOException e)
        {
            return $"({path}: {e.Message})";
        }
    }

    private static async Task<string> ReadSoonAsync(Task<string> read)
    {
        var done = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        return done == read ? await read.ConfigureAwait(false) : "";
    }
}
