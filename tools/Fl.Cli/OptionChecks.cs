using System.Globalization;

namespace FlMicroservices.Cli;

/// <summary>Checks of option values that reach I/O or memory; each returns a problem naming the option, or null.</summary>
public static class OptionChecks
{
    /// <summary>A folder the command can create (if missing) and write a file into.</summary>
    public static string? WritableFolder(string option, string path)
    {
        if (string.IsNullOrWhiteSpace(path)) return $"{option} must name a folder";
        if (File.Exists(path)) return $"{option} '{path}' is a file, not a folder";
        try
        {
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, $".fl-write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"{option} '{path}' is not a writable folder: {e.Message}";
        }
    }

    /// <summary>An existing folder the command can list.</summary>
    public static string? ReadableFolder(string option, string path)
    {
        if (string.IsNullOrWhiteSpace(path)) return $"{option} must name a folder";
        try
        {
            if (!Directory.Exists(path)) return $"{option} '{path}' does not exist or is not a folder";
            _ = Directory.EnumerateFileSystemEntries(path).FirstOrDefault();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"{option} '{path}' cannot be read: {e.Message}";
        }
    }

    /// <summary>A port on 127.0.0.1 that this process can listen on now (0: a free one, picked here), or a problem naming the option.</summary>
    public static string? LoopbackPort(string option, int requested, out int port)
    {
        port = requested;
        if (requested is < 0 or > 65535) return $"{option} {requested} must be between 0 and 65535 (0, or left out: a free port)";
        try
        {
            var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, requested);
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return null;
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return $"{option} {requested}: cannot listen on 127.0.0.1:{requested}: {(e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse ? "the port is in use" : e.Message)}";
        }
    }

    /// <summary>Bytes this process may use: the GC's limit (the machine's memory, or a container's).</summary>
    public static long AvailableBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>A run that needs about <paramref name="bytes"/> bytes fits in <see cref="AvailableBytes"/> (with a quarter to spare).</summary>
    public static string? FitsInMemory(string options, double bytes)
    {
        var available = AvailableBytes;
        return bytes <= 0.75 * available
            ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"{options} need about {Gib(bytes)} of memory; this process may use {Gib(available)} (at most three quarters of it is planned for)");
    }

    private static string Gib(double bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1L << 30):0.##} GiB");
}
