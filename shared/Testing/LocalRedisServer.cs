using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace FlMicroservices.Testing;

/// <summary>A throwaway redis-server (Debian package redis-server) on a free port, with no persistence, in a temp folder.</summary>
/// <remarks>Started daemonized with a pid file; <see cref="StopAsync"/> sends SHUTDOWN NOSAVE and kills the process if it does
/// not exit; <see cref="DisposeAsync"/> stops it and deletes the folder, whatever state it is in.</remarks>
public sealed class LocalRedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private readonly string _serverPath;
    private readonly string _cliPath;
    private readonly TlsMode? _tls;
    private int _pid;

    private LocalRedisServer(string serverPath, string cliPath, string directory, int port, TlsMode? tls = null)
    {
        _serverPath = serverPath;
        _cliPath = cliPath;
        _tls = tls;
        Directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The temp folder holding the pid file and the log.</summary>
    public string Directory { get; }

    public string LogPath => Path.Combine(Directory, "redis.log");

    /// <summary>host:port, as StackExchange.Redis takes it (with ssl=true and the password for a TLS server).</summary>
    public string ConnectionString => _tls is null
        ? $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}"
        : $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)},ssl=true,sslHost=localhost,password={_tls.Password}";

    // A TLS server listens on no plain TCP port; the harness reaches it over a unix socket in its folder.
    private string Socket => Path.Combine(Directory, "redis.sock");

    /// <summary>The server's version, e.g. "7.0.15".</summary>
    public string Version { get; private set; } = "";

    /// <summary>Whether redis-server and redis-cli are installed.</summary>
    public static bool IsInstalled => ProcessRunner.FindOnPath("redis-server") is not null && ProcessRunner.FindOnPath("redis-cli") is not null;

    /// <summary>Starts a server on a free port and waits until it answers PING (a new port is tried if the first was taken).</summary>
    public static Task<LocalRedisServer> StartAsync(CancellationToken cancellationToken = default) => StartNewAsync(null, null, cancellationToken);

    /// <summary>
    /// Starts a server that accepts only TLS connections (certificates from <see cref="TestCertificates.Create"/> in its folder)
    /// and requires <paramref name="password"/>; plain TCP is not served at all.
    /// </summary>
    /// <param name="password">The password the server requires.</param>
    /// <param name="configurationFile">A redis.conf that sets TLS (certificates, requirepass) itself, e.g. the one scripts/compose-secrets.sh writes; the port, socket and persistence are the harness's.</param>
    /// <param name="cancellationToken">Stops waiting for the server.</param>
    public static Task<LocalRedisServer> StartTlsAsync(string password, string? configurationFile = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(password);
        return StartNewAsync(password, configurationFile, cancellationToken);
    }

    private sealed record TlsMode(string Password, TestCertificates? Certificates, string? ConfigurationFile);

    private static async Task<LocalRedisServer> StartNewAsync(string? tlsPassword, string? configurationFile, CancellationToken cancellationToken)
    {
        var server = ProcessRunner.FindOnPath("redis-server");
        var cli = ProcessRunner.FindOnPath("redis-cli");
        if (server is null || cli is null)
            throw new InvalidOperationException("redis-server/redis-cli are not on PATH: install the Debian package redis-server (apt-get install -y redis-server) or set FL_REDIS_URL=host:port.");
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var directory = Path.Combine(Path.GetTempPath(), "fl-redis-" + Guid.NewGuid().ToString("N")[..12]);
            System.IO.Directory.CreateDirectory(directory);
            var instance = new LocalRedisServer(server, cli, directory, ProcessRunner.FreePort(),
                tlsPassword is null ? null
                    : new TlsMode(tlsPassword, configurationFile is null ? TestCertificates.Create(Path.Combine(directory, "tls")) : null, configurationFile));
            try
            {
                await instance.LaunchAsync(cancellationToken).ConfigureAwait(false);
                return instance;
            }
            catch (InvalidOperationException e)
            {
                last = e;
                await instance.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await instance.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        throw last!;
    }

    /// <summary>Stops the server and starts it again, empty (it keeps no data), on the same port: what a Redis without persistence loses.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync().ConfigureAwait(false);
        await LaunchAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SHUTDOWN NOSAVE, then a kill if the process is still there after a few seconds. Does nothing once stopped.</summary>
    public async Task StopAsync()
    {
        var pid = _pid;
        if (pid == 0) pid = ReadPid();
        if (pid == 0 && !await IsUpAsync(CancellationToken.None).ConfigureAwait(false)) return;
        await ProcessRunner.RunAsync(_cliPath, [.. CliTarget(), "shutdown", "nosave"], null, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        if (pid != 0 && !await ProcessRunner.WaitForExitAsync(pid, TimeSpan.FromSeconds(5)).ConfigureAwait(false)) ProcessRunner.Kill(pid);
        _pid = 0;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { /* best effort */ } catch (UnauthorizedAccessException) { /* best effort */ }
        }
    }

    public override string ToString() => $"local redis-server {Version} on port {Port}";

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        var version = await ProcessRunner.RunAsync(_serverPath, ["--version"], null, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        Version = ParseVersion(version.Output);
        var pidFile = Path.Combine(Directory, "redis.pid");
        var port = Port.ToString(CultureInfo.InvariantCulture);
        string[] listen = _tls switch
        {
            null => ["--port", port],
            { ConfigurationFile: not null } => ["--port", "0", "--tls-port", port, "--unixsocket", Socket],
            { Certificates: { } certificates } => ["--port", "0", "--tls-port", port, "--tls-cert-file", certificates.ServerCertificate,
                "--tls-key-file", certificates.ServerKey, "--tls-ca-cert-file", certificates.CaCertificate, "--tls-auth-clients", "no",
                "--requirepass", _tls.Password, "--unixsocket", Socket],
            _ => throw new InvalidOperationException("A TLS server needs certificates or a configuration file."),
        };
        string[] configuration = _tls?.ConfigurationFile is { } conf ? [conf] : []; // redis-server takes the file first, then overrides
        var result = await ProcessRunner.RunAsync(_serverPath,
        [
            .. configuration, "--bind", "127.0.0.1", .. listen, "--save", "", "--appendonly", "no",
            "--daemonize", "yes", "--pidfile", pidFile, "--logfile", LogPath, "--dir", Directory,
        ], null, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new InvalidOperationException($"redis-server on port {Port} did not start (exit {result.ExitCode}): {result.Output}\n{ProcessRunner.Tail(LogPath)}");
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!await IsUpAsync(cancellationToken).ConfigureAwait(false))
        {
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"redis-server on port {Port} did not answer PING within {StartTimeout.TotalSeconds} s; log:\n{ProcessRunner.Tail(LogPath)}");
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        _pid = ReadPid();
    }

    private string[] CliTarget() => _tls is null
        ? ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture)]
        : ["-s", Socket, "--no-auth-warning", "-a", _tls.Password];

    private async Task<bool> IsUpAsync(CancellationToken cancellationToken)
    {
        if (_tls is null) return await AnswersPingAsync(Port, cancellationToken).ConfigureAwait(false);
        if (!File.Exists(Socket)) return false;
        var ping = await ProcessRunner.RunAsync(_cliPath, [.. CliTarget(), "ping"], null, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        return ping.Succeeded && ping.Output.Contains("PONG", StringComparison.Ordinal);
    }

    private int ReadPid()
    {
        var pidFile = Path.Combine(Directory, "redis.pid");
        try
        {
            return File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string ParseVersion(string output)
    {
        var start = output.IndexOf("v=", StringComparison.Ordinal);
        if (start < 0) return "";
        var end = output.IndexOf(' ', start);
        return end < 0 ? output[(start + 2)..] : output[(start + 2)..end];
    }

    /// <summary>One inline PING over TCP: true when "+PONG" comes back.</summary>
    internal static async Task<bool> AnswersPingAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync("127.0.0.1", port, limit.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), limit.Token).ConfigureAwait(false);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, limit.Token).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
