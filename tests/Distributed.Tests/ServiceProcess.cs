using System.Diagnostics;

namespace FlMicroservices.Distributed.Tests;

/// <summary>One service or node running as its own OS process (`dotnet &lt;dll&gt;`), its output kept in a log file.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly ProcessStartInfo _start;
    private readonly string _log;
    private Process? _process;

    public ServiceProcess(string name, string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string logDirectory, int? httpPort)
    {
        if (!File.Exists(dll)) throw new FileNotFoundException($"{name}: {dll} is missing; build the solution first (scripts/test.sh does).", dll);
        Name = name;
        HttpPort = httpPort;
        _log = Path.Combine(logDirectory, name + ".log");
        _start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        _start.ArgumentList.Add(dll);
        foreach (var argument in arguments) _start.ArgumentList.Add(argument);
        if (httpPort is { } port) { _start.ArgumentList.Add("--urls"); _start.ArgumentList.Add($"http://127.0.0.1:{port}"); }
        foreach (var (key, value) in environment) _start.Environment[key] = value;
        _start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        _start.Environment["Logging__Console__FormatterName"] = "simple";
    }

    public string Name { get; }
    public int? HttpPort { get; }
    public string LogPath => _log;
    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>The running process's id (null before it started).</summary>
    public int? ProcessId => _process?.Id;
    public int Starts { get; private set; }

    public void Start()
    {
        _process = Process.Start(_start) ?? throw new InvalidOperationException($"{Name} did not start");
        Starts++;
        var writer = new StreamWriter(_log, append: true) { AutoFlush = true };
        writer.WriteLine($"==== start {Starts} (pid {_process.Id}) at {DateTime.UtcNow:O}");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Kills the process at once (SIGKILL): no shutdown code runs, as in a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    /// <summary>Waits until GET /health/ready answers 200.</summary>
    public async Task WaitReadyAsync(HttpClient http, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (HasExited) throw new InvalidOperationException($"{Name} exited with code {_process?.ExitCode}; its log:\n{Tail()}");
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{HttpPort}/health/ready");
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException e) { last = e.Message; }
            catch (TaskCanceledException e) { last = e.Message; } // one slow answer on a loaded machine: ask again until the deadline
            await Task.Delay(250);
        }
        throw new TimeoutException($"{Name} was not ready within {timeout.TotalSeconds} s (last: {last}); its log:\n{Tail()}");
    }

    public string Tail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(_log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var all = new StreamReader(stream).ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException) { return "(no log)"; }
    }

    public ValueTask DisposeAsync()
    {
        try { Kill(); } catch (InvalidOperationException) { }
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}
