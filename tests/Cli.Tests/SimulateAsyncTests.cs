using System.Text.Json;

namespace FlMicroservices.Cli.Tests;

/// <summary>`fl simulate --mode async`: FedBuff on the simulated clock, its options and what it reports.</summary>
[Collection("console")]
public sealed class SimulateAsyncTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-async-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Theory]
    [InlineData("--mode bogus", "--mode 'bogus' is unknown")]
    [InlineData("--mode async --buffer 0", "--buffer 0")]
    [InlineData("--mode async --buffer 100000000", "--buffer 100000000")]
    [InlineData("--mode async --max-staleness -1", "--max-staleness -1")]
    [InlineData("--mode async --concurrency 0", "--concurrency 0")]
    [InlineData("--mode async --concurrency 31", "--concurrency 31")]
    [InlineData("--mode async --staleness linear", "--staleness")]
    [InlineData("--mode async --staleness polynomial:-2", "exponent A '-2'")]
    [InlineData("--mode async --server-lr 0", "--server-lr 0")]
    [InlineData("--buffer 5", "--buffer applies to --mode async only")]
    [InlineData("--max-staleness 5", "--max-staleness applies to --mode async only")]
    [InlineData("--mode async --secagg secagg", "--secagg cannot be combined with --mode async")]
    [InlineData("--mode async --dp-epsilon-budget 5", "--mode async needs --dp-noise-multiplier with --dp-epsilon-budget")]
    [InlineData("--mode async --dp-local --dp-noise-multiplier 1 --dp-epsilon-budget 5", "--dp-local cannot be combined with --mode async")]
    [InlineData("--mode async --dp-adaptive --dp-noise-multiplier 1 --dp-epsilon-budget 5", "--dp-adaptive cannot be combined with --mode async")]
    [InlineData("--mode async --dp-noise-multiplier 0.5 --dp-epsilon-budget 0.1", "--dp-epsilon-budget 0.1 is below what one version spends")]
    [InlineData("--mode async --dp-noise-multiplier 1", "--dp-epsilon-budget is required with --dp-noise-multiplier")]
    [InlineData("--mode async --strategy fedadam", "--strategy fedadam cannot be combined with --mode async")]
    [InlineData("--mode async --selection oort", "--selection oort cannot be combined with --mode async")]
    [InlineData("--mode async --dashboard", "--dashboard cannot be combined with --mode async")]
    [InlineData("--mode async --over-selection 0.5", "--over-selection cannot be combined with --mode async")]
    [InlineData("--mode async --compression q8", "--compression q8 cannot be combined with --mode async")]
    [InlineData("--mode async --late-updates fold", "--late-updates fold cannot be combined with --mode async")]
    public async Task A_bad_or_unsupported_async_setting_exits_with_code_2_naming_it(string options, string named)
    {
        var (code, errors) = await SimulateCli.RunAsync(["simulate", .. options.Split(' '), "--out", _out]);

        Assert.Equal(2, code);
        Assert.Contains(named, errors);
        Assert.False(File.Exists(Path.Combine(_out, "summary.json")));
    }

    [Fact]
    public async Task One_client_at_a_time_trains_only_on_the_newest_version()
    {
        var (summary, versions) = await RunAsync("--concurrency", "1", "--buffer", "2", "--rounds", "3");

        Assert.Equal("async", summary.GetProperty("mode").GetString());
        Assert.Equal((2, 1), (summary.GetProperty("buffer").GetInt32(), summary.GetProperty("concurrency").GetInt32()));
        Assert.Equal([1, 2, 3], versions.Select(v => v.GetProperty("model_version").GetInt32()));
        Assert.All(versions, v => Assert.Equal(2, v.GetProperty("contributors").GetInt32()));
        Assert.All(versions, v => Assert.Equal(0, v.GetProperty("max_staleness").GetInt32())); // nobody trains while a version is made
    }

    [Fact]
    public async Task Concurrent_clients_send_stale_updates_and_the_clock_moves_forward_per_version()
    {
        var (summary, versions) = await RunAsync("--concurrency", "6", "--buffer", "1", "--rounds", "8", "--profiles", "heavy-tail");

        Assert.Equal(8, summary.GetProperty("rounds").GetInt32());
        Assert.Contains(versions, v => v.GetProperty("max_staleness").GetInt32() > 0);
        var times = versions.Select(v => v.GetProperty("simulated_time").GetDouble()).ToArray();
        Assert.Equal(times.Order(), times);
        Assert.True(times[0] > 0);
        Assert.Equal(times[^1], summary.GetProperty("simulated_seconds").GetDouble());
        var model = versions[0].GetProperty("bytes_up").GetInt64();
        Assert.True(model > 0);
    }

    [Fact]
    public async Task A_staleness_limit_of_zero_drops_every_update_trained_on_an_older_version()
    {
        var (summary, versions) = await RunAsync("--concurrency", "6", "--buffer", "1", "--rounds", "4", "--max-staleness", "0");

        Assert.True(summary.GetProperty("dropped_updates").GetProperty("too stale").GetInt32() > 0);
        Assert.Equal(versions.Sum(v => v.GetProperty("rejected").GetInt32()), summary.GetProperty("dropped_updates").GetProperty("too stale").GetInt32());
        Assert.All(versions, v => Assert.Equal(0, v.GetProperty("max_staleness").GetInt32()));
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_versions()
    {
        var (_, first) = await RunAsync("--concurrency", "3", "--buffer", "2", "--rounds", "3", "--profiles", "heavy-tail");
        Directory.Delete(_out, recursive: true);
        var (_, second) = await RunAsync("--concurrency", "3", "--buffer", "2", "--rounds", "3", "--profiles", "heavy-tail");

        Assert.Equal(first.Select(Key), second.Select(Key));
        static (double, double, double) Key(JsonElement v) =>
            (v.GetProperty("accuracy").GetDouble(), v.GetProperty("simulated_time").GetDouble(), v.GetProperty("mean_staleness").GetDouble());
    }

    [Fact]
    public async Task With_privacy_each_client_is_charged_per_version_and_the_run_stops_when_too_few_clients_remain_within_the_budget()
    {
        const double z = 2, budget = 6, delta = 1e-5;
        var accountant = new Core.Privacy.ParticipationAccountant(z);
        var limit = accountant.MaxParticipationsWithin(budget, delta);
        Assert.InRange(limit, 2, 20); // enough versions to see the charge grow, few enough to exhaust quickly

        var (summary, versions) = await RunAsync("--concurrency", "3", "--buffer", "2", "--rounds", "1000", "--profiles", "heavy-tail",
            "--dp-noise-multiplier", "2", "--dp-epsilon-budget", "6");

        Assert.Equal("central", summary.GetProperty("dp_mechanism").GetString());
        Assert.True(summary.GetProperty("privacy_budget_exhausted").GetBoolean());
        Assert.StartsWith("privacy budget:", summary.GetProperty("completion_reason").GetString());
        Assert.Contains("without amplification by subsampling", summary.GetProperty("dp_accounting").GetString());
        // 6 clients, each in at most `limit` versions of 2: the run stops once fewer than 2 may still join.
        Assert.InRange(versions.Length, 1, 6 * limit / 2);
        Assert.True(versions.Length >= (6 - 1) * limit / 2, $"{versions.Length} versions: the run stopped before the budget ran out");
        var epsilons = versions.Select(v => v.GetProperty("epsilon").GetDouble()).ToArray();
        Assert.Equal(epsilons.Order(), epsilons);
        var allowed = Enumerable.Range(1, limit).Select(n => accountant.EpsilonAfter(n, delta).Epsilon).ToArray();
        Assert.All(epsilons, e => Assert.Contains(allowed, a => Math.Abs(a - e) < 1e-9));
        Assert.Equal(allowed[^1], summary.GetProperty("epsilon_spent").GetDouble(), 9);
        Assert.True(summary.GetProperty("epsilon_spent").GetDouble() <= budget);
    }

    private async Task<(JsonElement Summary, JsonElement[] Versions)> RunAsync(params string[] options)
    {
        var (code, errors) = await SimulateCli.RunAsync(["simulate", "--mode", "async", "--clients", "6", "--local-epochs", "1", .. options, "--out", _out]);
        Assert.True(code == 0, errors);
        var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "summary.json"))).RootElement;
        var versions = (await File.ReadAllLinesAsync(Path.Combine(_out, "metrics.jsonl"))).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        return (summary, versions);
    }
}
