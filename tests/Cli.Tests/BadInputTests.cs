namespace FlMicroservices.Cli.Tests;

/// <summary>Bad values of options that reach arithmetic, memory or I/O: exit 1 or 2 with a line naming the option, never a stack trace.</summary>
[Collection("console")]
public sealed class BadInputTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    // Each row: the arguments, the exit code, a text the error must contain. Rows stop at validation, before any training.
    public static TheoryData<string, int, string> Rows => new()
    {
        { "simulate --out /proc/fl-cannot-write", 2, "--out '/proc/fl-cannot-write' is not a writable folder" },
        { "simulate --round-timeout 900000000000", 2, "--round-timeout must be a number of seconds greater than 0 and below 86400" },
        { "simulate --round-timeout NaN", 2, "--round-timeout" },
        { "simulate --clients 2000000000", 2, "--clients 2000000000 must be between 1 and 100000" },
        { "simulate --rounds 2000000000", 2, "--rounds 2000000000 must be between 1 and 100000" },
        { "simulate --local-epochs 2000000000", 2, "--local-epochs 2000000000 must be between 1 and 10000" },
        { "simulate --batch-size 0", 2, "--batch-size 0 must be between 1 and 1000000" },
        { "simulate --parallelism 1000000", 2, "--parallelism 1000000 must be between 1 and 1024" },
        { "simulate --lr Infinity", 2, "--lr" },
        { "simulate --lr NaN", 2, "--lr" },
        { "simulate --fraction NaN", 2, "--fraction NaN must be in (0, 1]" },
        { "simulate --dp-noise-multiplier 1e-300 --dp-epsilon-budget 1", 2, "--dp-noise-multiplier 1E-300 is too small: one round would spend an infinite ε" },
        { "simulate --attack gaussian:NaN --attackers 0.2", 2, "--attack" },
        { "simulate --strategy krum --byzantine 5 --clients 3", 2, "strategy 'krum' with f = 5 needs n > 2f + 2 and so rounds of at least 13 updates" },
        { "simulate --strategy bulyan", 2, "rounds of at least 11 updates, but a round may aggregate as few as 5" },
        { "simulate --byzantine-share 0.5", 2, "--byzantine-share 0.5 must be in [0, 0.5)" },
        { "simulate --byzantine-share NaN --strategy median", 2, "--byzantine-share NaN" },
        { "simulate --signing rsa", 2, "--signing 'rsa' is unknown (ecdsa-p256, ml-dsa-65, none)" },
        { "simulate --compression q16", 2, "--compression: Compression 'q16' is not one of none, q8, q4, topk:FRACTION, zstd" },
        { "simulate --compression topk:2", 2, "--compression: Compression 'topk:2': the top-k fraction 2 must be in (0, 1]" },
        { "simulate --compression topk:0.01 --strategy krum --clients 20", 2, "--compression: Compression 'topk:0.01' cannot be combined with strategy 'krum'" },
        { "simulate --compression q8 --secagg secagg", 2, "--compression: Compression 'q8' cannot be combined with secure aggregation (SecAgg)" },
        { "task create --rabbitmq amqp://localhost:1 --compression topk:0.01 --strategy median", 2, "--compression: Compression 'topk:0.01' cannot be combined with strategy 'median'" },
        { "task create --rabbitmq amqp://localhost:1 --compression q5", 2, "--compression: Compression 'q5' is not one of" },
        { "simulate --dashboard --dashboard-port 70000", 2, "--dashboard-port 70000 must be between 0 and 65535" },
        { "simulate --dashboard --dashboard-port -1", 2, "--dashboard-port -1 must be between 0 and 65535" },
        { "simulate --dashboard-port 5107", 2, "--dashboard-port needs --dashboard" },
        { "privacy epsilon --noise-multiplier 0 --sample-rate 0.01 --steps 100 --delta 1e-5", 2, "--noise-multiplier 0 gives no guarantee: ε is infinite" },
        { "privacy epsilon --noise-multiplier 1e-300 --sample-rate 0.34 --steps 1 --delta 1e-5", 2, "--noise-multiplier 1E-300 is too small for the accountant" },
        { "privacy epsilon --noise-multiplier NaN --sample-rate 0.01 --steps 100 --delta 1e-5", 2, "--noise-multiplier NaN" },
        { "privacy epsilon --noise-multiplier 1 --sample-rate 1.5 --steps 100 --delta 1e-5", 2, "--sample-rate 1.5 must be in [0, 1]" },
        { "privacy noise --target-epsilon 1 --sample-rate 0.01 --steps 100 --delta 1e-5 --tolerance 1e-20", 2, "--tolerance 1E-20 must be at least 1E-12" },
        { "privacy noise --target-epsilon 1e-300 --sample-rate 0.01 --steps 100 --delta 1e-5", 2, "--target-epsilon 1E-300 cannot be met" },
        { "bench aggregate --params 2000000000", 2, "--params 2000000000 must be between 1 and 500000000" },
        { "bench aggregate --clients 2000000000 --params 100", 2, "--clients 2000000000 must be between 1 and 100000" },
        { "bench aggregate --clients 100000 --params 100000000", 2, "fold 5E+13 values, more than 1E+11" },
        { "bench aggregate --rounds 0", 2, "--rounds 0 must be between 1 and 100" },
        { "bench stream --clients 100000 --params 100000000", 2, "--clients 100000 --params 100000000 need about" },
        { "bench secagg --clients 10000 --params 100000000", 2, "--clients 10000 --params 100000000 need about" },
        { "bench signing --params 10", 2, "--params 10 must be between 50000 and 50000000" },
        { "bench selection --clients 0 --redis 127.0.0.1:1", 2, "--clients 0 must be between 1 and 1000000" },
        { "bench selection --repeats 1000 --redis 127.0.0.1:1", 2, "--repeats 1000 must be between 1 and 100" },
        { "bench selection --clients 10 --redis 127.0.0.1:1", 1, "cannot reach Redis at 127.0.0.1:1" },
        { "audit --out /proc/fl-cannot-write", 2, "--out '/proc/fl-cannot-write' is not a writable folder" },
        { "audit --epsilons NaN", 2, "--epsilons 'NaN' must all be finite numbers greater than 0" },
        { "audit --clients 2000000000", 2, "--clients 2000000000 must be between 2 and 10000" },
        { "task create --rabbitmq amqp://localhost:1 --round-timeout 900000000000", 2, "--round-timeout 900000000000 must be a number of seconds greater than 0 and below 86400" },
        { "task create --rabbitmq amqp://localhost:1 --shape 99999999999", 2, "--shape '99999999999' must be comma-separated whole numbers" },
        { "task create --rabbitmq amqp://localhost:1 --rounds 0", 2, "Rounds 0 must be at least 1" },
        { "task create --rabbitmq amqp://localhost:1 --byzantine-share 0.7", 2, "ByzantineShare 0.7 must be in [0, 0.5)" },
        { "task create --rabbitmq amqp://localhost:1 --strategy krum", 2, "raise MinClientsPerRound to 5" },
        { "node --submit-delay NaN", 2, "--submit-delay NaN must be in [0, 3600] seconds" },
        { "node --parallelism 0", 2, "--parallelism 0 must be between 1 and 1024" },
        { "node --memory-budget 10", 2, "--memory-budget 10 must be between 64 and 16777216 MiB" },
        { "node --model-store /proc/fl-cannot-write", 2, "--model-store '/proc/fl-cannot-write' is not a writable folder" },
        { "node --edge https://localhost:1 --rabbitmq amqp://localhost:1", 2, "--rabbitmq cannot be combined with --edge: a node behind the edge holds no broker or store credentials" },
        { "node --enrol-token fle_x", 2, "--enrol-token and --edge-ca need --edge" },
        { "node --edge ftp://localhost:1", 2, "--edge 'ftp://localhost:1' is not an http(s) URL" },
        { "node enrol-token --edge https://localhost:1 --clients 0", 2, "--clients 0 must be between 1 and 100000" },
        { "bench edge --clients 10 --concurrency 11", 2, "--concurrency 11 must be between 1 and the number of clients" },
        { "events schema --out /proc/fl-cannot-write", 2, "--out '/proc/fl-cannot-write' is not a writable folder" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task A_bad_value_exits_with_a_message_naming_it_and_no_stack_trace(string arguments, int expectedCode, string expected)
    {
        var (code, errors) = await SimulateCli.RunAsync(arguments.Split(' '));

        Assert.Equal(expectedCode, code);
        Assert.Contains(expected, errors);
        Assert.DoesNotContain("   at ", errors);
    }

    [Fact]
    public async Task A_dashboard_port_in_use_is_refused_by_name_before_the_run()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;

        var outDir = Path.Combine(Path.GetTempPath(), $"fl-port-{Guid.NewGuid():N}");
        var (code, errors) = await SimulateCli.RunAsync("simulate", "--out", outDir, "--dashboard", "--dashboard-port", $"{port}");
        if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);

        Assert.Equal(2, code);
        Assert.Contains($"--dashboard-port {port}: cannot listen on 127.0.0.1:{port}: the port is in use", errors);
        Assert.DoesNotContain("   at ", errors);
    }

    [Fact]
    public async Task An_out_path_that_is_a_file_is_refused_by_name()
    {
        var (code, errors) = await SimulateCli.RunAsync("simulate", "--out", _file);

        Assert.Equal(2, code);
        Assert.Contains($"--out '{_file}' is a file, not a folder", errors);
    }
}
