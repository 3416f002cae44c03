using System.Diagnostics;

namespace FlMicroservices.AppHost;

/// <summary>Finds a working container engine: the one ASPIRE_CONTAINER_RUNTIME names, else docker, else podman.</summary>
internal static class ContainerEngine
{
    /// <summary>The engine whose <c>info</c> command succeeds within 15 s, or null (a client without a running engine does not count).</summary>
    public static string? Detect()
    {
        var named = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME");
        string[] candidates = string.IsNullOrWhiteSpace(named) ? ["docker", "podman"] : [named.Trim()];
        return candidates.FirstOrDefault(Answers);
    }

    private static bool Answers(string engine)
    {
        try
        {
            var start = new ProcessStartInfo(engine) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("info");
            using var process = Process.Start(start);
            if (process is null) return false;
            process.StandardOutput.ReadToEndAsync();
            process.StandardError.ReadToEndAsync();
            if (process.WaitForExit(TimeSpan.FromSeconds(15))) return process.ExitCode == 0;
            process.Kill(entireProcessTree: true);
            return false;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}
