using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Testing;
using MassTransit.UsageTracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Cli.Tests;

/// <summary>No process of the platform contacts a host outside the deployment: every connect(2) it makes, seen by strace, is to loopback.</summary>
public sealed partial class OutsideHostTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-outside-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [StraceFact]
    public async Task The_method_sees_a_DNS_lookup_of_an_outside_name()
    {
        // The control: a plain name lookup must show up as an outside connect (the resolver), or the checks below prove nothing.
        var trace = await TraceAsync("getent", ["hosts", "example.com"], TimeSpan.FromSeconds(30), mustSucceed: false); // no answer here: exit 2

        Assert.NotEmpty(OutsideConnects(trace));
    }

    [StraceFact]
    public async Task Fl_simulate_runs_the_whole_platform_without_an_outside_connection()
    {
        var trace = await TraceAsync("dotnet", [FlDll, "simulate", "--clients", "4", "--rounds", "2", "--local-epochs", "1", "--out", _out], TimeSpan.FromMinutes(5));

        Assert.True(File.Exists(Path.Combine(_out, "summary.json")), "fl simulate did not finish its run");
        Assert.Empty(OutsideConnects(trace));
    }

    [StraceFact]
    public async Task A_service_process_serves_health_and_metrics_without_an_outside_connection()
    {
        var host = Path.Combine(RepositoryRoot, "services", "Registry", "FlMicroservices.Registry.Host", "bin", Configuration, "net10.0", "FlMicroservices.Registry.Host.dll");
        Assert.True(File.Exists(host), $"{host} is missing: build the solution first");
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var trace = await TraceAsync("dotnet", [host], TimeSpan.FromMinutes(2), new() { ["ASPNETCORE_URLS"] = url, ["Telemetry__Console"] = "true", ["Storage__Root"] = _out }, async () =>
        {
            using var http = new HttpClient();
            // Each probe gets 5 s; a refused connection or a slow answer on a loaded machine is asked again until the deadline.
            await Eventually.SucceedsAsync(async ct =>
            {
                using var response = await http.GetAsync(url + "/health/ready", ct);
                return response.StatusCode == HttpStatusCode.OK ? "ready" : null;
            }, TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(5), "the registry service to answer /health/ready with 200");
            var metrics = await http.GetStringAsync(url + "/metrics");
            Assert.Contains("# TYPE", metrics); // Prometheus' text format
            Assert.Contains("http_server_request_duration_seconds", metrics); // the readiness probe just made, counted
        });

        Assert.Empty(OutsideConnects(trace));
    }

    [Theory]
    [InlineData("InMemory")]
    [InlineData("RabbitMq")]
    public async Task MassTransit_usage_telemetry_is_off_on_every_bus_the_platform_builds(string transport)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = transport,
            ["ConnectionStrings:rabbitmq"] = "amqp://fl:secret@localhost:5672/",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddFlMessaging(configuration, _ => { });
        await using var provider = services.BuildServiceProvider();

        Assert.False(Assert.IsType<UsageTracker>(provider.GetRequiredService<IUsageTracker>()).Enabled);
    }

    /// <summary>The connect(2) calls in an strace log that reach an IPv4/IPv6 address other than loopback.</summary>
    internal static List<string> OutsideConnects(string trace) =>
        trace.Split('\n').Where(line => line.Contains("connect(", StringComparison.Ordinal) && Address().Match(line) is { Success: true } m && IsOutside(m.Groups["a"].Value)).ToList();

    private static bool IsOutside(string text)
    {
        var address = IPAddress.Parse(text);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return !IPAddress.IsLoopback(address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any);
    }

    [GeneratedRegex("""(?:inet_addr\("|inet_pton\(AF_INET6, ")(?<a>[0-9a-fA-F:.]+)"\)""")]
    private static partial Regex Address();

    private async Task<string> TraceAsync(string program, string[] args, TimeSpan timeout, Dictionary<string, string>? environment = null, Func<Task>? whileRunning = null, bool mustSucceed = true)
    {
        Directory.CreateDirectory(_out);
        var log = Path.Combine(_out, $"strace-{Guid.NewGuid():N}.log");
        var start = new ProcessStartInfo("strace") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-f", "-qq", "-e", "trace=connect", "-o", log, program, .. args]) start.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? []) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            if (whileRunning is not null)
            {
                await whileRunning();
                process.Kill(entireProcessTree: true);
            }
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        Assert.True(File.Exists(log), $"strace wrote no log: {await errors}");
        if (whileRunning is null && mustSucceed) Assert.True(process.ExitCode == 0, $"{program} exited with {process.ExitCode}: {await errors}\n{await output}");
        return await File.ReadAllTextAsync(log);
    }

    private static int FreePort() => FlMicroservices.Testing.ProcessRunner.FreePort();

    private static string FlDll => Path.Combine(AppContext.BaseDirectory, "fl.dll");

    // bin/<Configuration>/net10.0/ of this test project.
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    private static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "FlMicroservices.sln"))) return dir.FullName;
            throw new InvalidOperationException($"No FlMicroservices.sln above {AppContext.BaseDirectory}.");
        }
    }
}

/// <summary>A fact that needs strace (Debian package `strace`, which scripts/test.sh installs); under CI=true it runs and fails without it.</summary>
public sealed class StraceFactAttribute : FactAttribute
{
    public StraceFactAttribute()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, "strace")));
        if (!found && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "strace is not installed (apt-get install strace): the outside-connection checks need it";
    }
}
