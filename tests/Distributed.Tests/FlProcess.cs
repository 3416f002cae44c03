using System.Diagnostics;
using System.Text;

namespace FlMicroservices.Distributed.Tests;

/// <summary>Runs a command to its end as its own OS process, with its output captured and its whole process tree killed at a time limit.</summary>
public static class FlProcess
{
    public sealed record Result(int ExitCode, string Output, bool TimedOut);

    /// <summary>`dotnet fl.dll ARGS` from the build output.</summary>
    public static Task<Result> FlAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan limit)
    {
        var fl = Path.Combine(RepositoryPaths.Root, "tools", "Fl.Cli", "bin", RepositoryPaths.Configuration, "net10.0", "fl.dll");
        if (!File.Exists(fl)) throw new FileNotFoundException($"{fl} is missing; build the solution first (scripts/test.sh does).", fl);
        return RunAsync("dotnet", [fl, .. arguments], environment, limit);
    }

    public static async Task<Result> RunAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan limit)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepositoryPaths.Root,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var output = new StringBuilder();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(limit);
        var timedOut = false;
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.WaitForExit(); // drains the output
        lock (output) return new Result(timedOut ? -1 : process.ExitCode, output.ToString(), timedOut);
    }
}
