using System.Diagnostics;
using System.Globalization;

namespace FlMicroservices.Testing;

/// <summary>
/// A throwaway RabbitMQ node (Debian package rabbitmq-server) on free ports, with its own Erlang port mapper, in a temp folder.
/// </summary>
/// <remarks>
/// The node runs without the wrapper script that drops the environment: /usr/lib/rabbitmq/bin/rabbitmq-server -detached with
/// HOME, RABBITMQ_NODENAME (unique@localhost), the AMQP and distribution ports, mnesia, log and pid file in the temp folder.
/// Each node gets its own epmd, started by this class on a free port (ERL_EPMD_PORT) as a child process, so stopping one node
/// ends exactly its epmd and never one that another node (or a developer's broker) uses. Ready once
/// <c>rabbitmqctl await_startup</c> succeeds; <see cref="DisposeAsync"/> stops the node (<c>rabbitmqctl stop</c>, then a kill),
/// ends the epmd and deletes the folder. guest/guest works from localhost.
/// </remarks>
public sealed class LocalRabbitMqServer : IAsyncDisposable
{
    public const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    public const string ControlScript = "/usr/lib/rabbitmq/bin/rabbitmqctl";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private Process? _epmd;
    private bool _stopped;

    private readonly Func<int, IEnumerable<string>>? _config;
    private readonly bool _plainListener;

    private LocalRabbitMqServer(string directory, Func<int, IEnumerable<string>>? config)
    {
        _config = config;
        TlsPort = config is null ? 0 : ProcessRunner.FreePort();
        _plainListener = config is null || !config(TlsPort).Contains("listeners.tcp = none", StringComparer.Ordinal);
        Directory = directory;
        NodeName = $"fl-test-{Guid.NewGuid().ToString("N")[..10]}@localhost";
        Port = ProcessRunner.FreePort();
        DistributionPort = ProcessRunner.FreePort();
        EpmdPort = ProcessRunner.FreePort();
    }

    public string NodeName { get; }

    /// <summary>The AMQP port.</summary>
    public int Port { get; }

    public int DistributionPort { get; }

    /// <summary>The port of this node's own epmd.</summary>
    public int EpmdPort { get; }

    public string Directory { get; }

    public string PidFile => Path.Combine(Directory, "rabbit.pid");

    public string LogDirectory => Path.Combine(Directory, "log");

    /// <summary>The AMQPS port when the node was started with TLS, else 0.</summary>
    public int TlsPort { get; }

    /// <summary>amqps://guest:guest@localhost:TLSPORT/ (the server certificate names localhost).</summary>
    public string TlsConnectionString => $"amqps://guest:guest@localhost:{TlsPort.ToString(CultureInfo.InvariantCulture)}/";

    /// <summary>amqp://guest:guest@127.0.0.1:PORT/</summary>
    public string ConnectionString => $"amqp://guest:guest@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/";

    /// <summary>The installed version, e.g. "3.10.8" (from /usr/lib/rabbitmq/lib/rabbitmq_server-VERSION), or "" when unknown.</summary>
    public static string Version
    {
        get
        {
            const string lib = "/usr/lib/rabbitmq/lib";
            if (!System.IO.Directory.Exists(lib)) return "";
            var dir = System.IO.Directory.EnumerateDirectories(lib, "rabbitmq_server-*").Order(StringComparer.Ordinal).LastOrDefault();
            return dir is null ? "" : Path.GetFileName(dir)["rabbitmq_server-".Length..];
        }
    }

    public static bool IsInstalled => File.Exists(ServerScript) && File.Exists(ControlScript) && ProcessRunner.FindOnPath("epmd") is not null;

    /// <summary>Starts a node and waits until it has booted (about 6 s on an idle machine); with <paramref name="tls"/> it also listens for AMQPS on <see cref="TlsPort"/>.</summary>
    public static Task<LocalRabbitMqServer> StartAsync(CancellationToken cancellationToken = default, TestCertificates? tls = null) =>
        StartAsync(tls is null ? null : port => TlsConfig(tls, port), cancellationToken);

    /// <summary>Starts a node that speaks only AMQPS, on <see cref="TlsPort"/>: nothing listens for plain AMQP (<see cref="Port"/> stays closed).</summary>
    public static Task<LocalRabbitMqServer> StartTlsOnlyAsync(TestCertificates tls, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tls);
        return StartAsync(port => ["listeners.tcp = none", .. TlsConfig(tls, port)], cancellationToken);
    }

    private static string[] TlsConfig(TestCertificates tls, int port) =>
        [
            $"listeners.ssl.default = {port.ToString(CultureInfo.InvariantCulture)}",
            $"ssl_options.cacertfile = {tls.CaCertificate}",
            $"ssl_options.certfile = {tls.ServerCertificate}",
            $"ssl_options.keyfile = {tls.ServerKey}",
            "ssl_options.verify = verify_none",
            "ssl_options.fail_if_no_peer_cert = false",
        ];

    /// <summary>Starts a node with the rabbitmq.conf lines <paramref name="config"/> makes for a free AMQPS port (<see cref="TlsPort"/>).</summary>
    public static async Task<LocalRabbitMqServer> StartAsync(Func<int, IEnumerable<string>>? config, CancellationToken cancellationToken = default)
    {
        if (!IsInstalled)
            throw new InvalidOperationException($"{ServerScript} (or epmd) is missing: install the Debian package rabbitmq-server (apt-get install -y rabbitmq-server) or set FL_RABBITMQ_URL=amqp://user:password@host:port/.");
        var directory = Path.Combine(Path.GetTempPath(), "fl-rabbit-" + Guid.NewGuid().ToString("N")[..12]);
        var server = new LocalRabbitMqServer(directory, config);
        try
        {
            await server.LaunchAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts the stopped node again on the same ports and data folder (durable queues and persistent messages survive).</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync().ConfigureAwait(false);
        _stopped = false;
        await LaunchAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the node and its epmd; does nothing the second time.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        var pid = ReadPid();
        if (pid != 0 && ProcessRunner.IsAlive(pid))
        {
            await ProcessRunner.RunAsync(ControlScript, ["-n", NodeName, "stop", PidFile], NodeEnvironment(), TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            if (!await ProcessRunner.WaitForExitAsync(pid, TimeSpan.FromSeconds(10)).ConfigureAwait(false)) ProcessRunner.Kill(pid);
        }
        if (_epmd is { } epmd)
        {
            try
            {
                if (!epmd.HasExited)
                {
                    epmd.Kill(entireProcessTree: true);
                    await epmd.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                // Exited meanwhile, or did not within the wait: nothing more to do.
            }
            epmd.Dispose();
            _epmd = null;
        }
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

    /// <summary>Adds a user with its permissions on the default virtual host (rabbitmqctl add_user and set_permissions).</summary>
    public async Task AddUserAsync(BrokerUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        foreach (var arguments in new[]
        {
            new[] { "-n", NodeName, "add_user", user.Name, user.Password },
            ["-n", NodeName, "set_permissions", "-p", "/", user.Name, user.Configure, user.Write, user.Read],
        })
        {
            // rabbitmqctl starts an Erlang VM per call: minutes on a loaded 2-core machine.
            var result = await ProcessRunner.RunAsync(ControlScript, arguments, NodeEnvironment(), TimeSpan.FromMinutes(4), cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
                throw new InvalidOperationException($"rabbitmqctl {arguments[2]} {user.Name} failed on node {NodeName} (exit {result.ExitCode}): {result.Output}");
        }
    }

    public override string ToString() => $"local rabbitmq-server {ShortVersion(Version)} on port {Port}";

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "mnesia"));
        System.IO.Directory.CreateDirectory(LogDirectory);
        if (_config is not null) File.WriteAllLines(ConfigFile, _config(TlsPort));
        await StartEpmdAsync(cancellationToken).ConfigureAwait(false);
        var start = await ProcessRunner.RunAsync(ServerScript, ["-detached"], NodeEnvironment(), TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        if (!start.Succeeded)
            throw new InvalidOperationException($"{ServerScript} -detached failed for node {NodeName} (exit {start.ExitCode}): {start.Output}\n{LogTail()}");
        // await_startup fails at once until the node has registered with epmd, so it is retried.
        var deadline = DateTime.UtcNow + StartTimeout;
        CommandResult last;
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
                throw new InvalidOperationException($"RabbitMQ node {NodeName} (AMQP port {Port}) did not start within {StartTimeout.TotalSeconds} s.\n{LogTail()}");
            last = await ProcessRunner.RunAsync(ControlScript, ["-n", NodeName, "-q", "await_startup"], NodeEnvironment(),
                remaining < TimeSpan.FromSeconds(60) ? remaining : TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            if (last.Succeeded) return;
            if (ReadPid() is var pid && pid != 0 && !ProcessRunner.IsAlive(pid))
                throw new InvalidOperationException($"RabbitMQ node {NodeName} exited while starting: {last.Output}\n{LogTail()}");
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts this node's epmd and waits until it listens, so that the node registers there and starts no epmd of its own.</summary>
    private async Task StartEpmdAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(ProcessRunner.FindOnPath("epmd")!)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-port", EpmdPort.ToString(CultureInfo.InvariantCulture), "-address", "127.0.0.1" }) start.ArgumentList.Add(argument);
        _epmd = Process.Start(start) ?? throw new InvalidOperationException("Could not start epmd.");
        _epmd.OutputDataReceived += (_, _) => { };
        _epmd.ErrorDataReceived += (_, _) => { };
        _epmd.BeginOutputReadLine();
        _epmd.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await ListensAsync(EpmdPort, cancellationToken).ConfigureAwait(false))
        {
            if (_epmd.HasExited)
                throw new InvalidOperationException($"epmd on port {EpmdPort} exited at once (exit {_epmd.ExitCode}); is the port taken?");
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"epmd did not listen on port {EpmdPort} within 10 s.");
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<bool> ListensAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync("127.0.0.1", port, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private string ConfigFile => Path.Combine(Directory, "rabbitmq.conf");

    private Dictionary<string, string> NodeEnvironment()
    {
        var environment = BaseEnvironment();
        if (_config is not null) environment["RABBITMQ_CONFIG_FILE"] = ConfigFile;
        if (!_plainListener)
        {
            // These would open the plain listener again, whatever the config file says.
            environment.Remove("RABBITMQ_NODE_IP_ADDRESS");
            environment.Remove("RABBITMQ_NODE_PORT");
        }
        return environment;
    }

    private Dictionary<string, string> BaseEnvironment() => new(StringComparer.Ordinal)
    {
        ["HOME"] = Directory,
        ["RABBITMQ_NODENAME"] = NodeName,
        ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_NODE_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
        ["RABBITMQ_DIST_PORT"] = DistributionPort.ToString(CultureInfo.InvariantCulture),
        ["ERL_EPMD_PORT"] = EpmdPort.ToString(CultureInfo.InvariantCulture),
        ["RABBITMQ_MNESIA_BASE"] = Path.Combine(Directory, "mnesia"),
        ["RABBITMQ_LOG_BASE"] = LogDirectory,
        ["RABBITMQ_PID_FILE"] = PidFile,
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(Directory, "enabled_plugins"),
    };

    private int ReadPid()
    {
        try
        {
            return File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private string LogTail()
    {
        if (!System.IO.Directory.Exists(LogDirectory)) return "(no log)";
        var logs = System.IO.Directory.EnumerateFiles(LogDirectory, "*.log").ToArray();
        return logs.Length == 0 ? $"(no log in {LogDirectory})" : string.Join("\n", logs.Select(l => $"--- {l}\n{ProcessRunner.Tail(l)}"));
    }

    private static string ShortVersion(string version)
    {
        var parts = version.Split('.');
        return parts.Length >= 2 ? $"{parts[0]}.{parts[1]}" : version;
    }
}
