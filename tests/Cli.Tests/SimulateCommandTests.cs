using System.CommandLine;
using System.Text.Json;
using FlMicroservices.Cli.Commands;

namespace FlMicroservices.Cli.Tests;

[Collection("console")]
public sealed class SimulateCommandTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    private static Task<(int Code, string Errors)> RunAsync(params string[] args) => SimulateCli.RunAsync(args);

    [Theory]
    [InlineData("--clients", "abc", "--clients")]
    [InlineData("--fraction", "1.5", "--fraction")]
    [InlineData("--dataset", "cifar", "--dataset")]
    [InlineData("--partition", "dirichlet:0", "--partition")]
    [InlineData("--model", "resnet", "--model")]
    [InlineData("--lr", "-1", "--lr")]
    [InlineData("--data-dir", "/nonexistent/fl-data", "--data-dir")]
    [InlineData("--round-timeout", "0", "--round-timeout")]
    [InlineData("--secagg", "pairwise", "--secagg")]
    [InlineData("--profiles", "satellite", "--profiles")]
    [InlineData("--profiles", "csv:/nonexistent/profiles.csv", "--profiles csv:/nonexistent/profiles.csv")]
    [InlineData("--round-deadline", "-5", "--round-deadline")]
    [InlineData("--selection", "greedy", "--selection")]
    [InlineData("--round-deadline", "1e300", "--round-deadline")]
    [InlineData("--late-updates", "keep", "--late-updates 'keep' is unknown (drop, fold)")]
    public async Task An_invalid_option_exits_with_code_2_and_names_it(string option, string value, string named)
    {
        var (code, errors) = await RunAsync("simulate", option, value, "--out", "/tmp/never-written");

        Assert.Equal(2, code);
        Assert.Contains(named, errors);
    }

    [Theory]
    [InlineData("--strategy median", "--late-updates fold cannot be combined with the robust strategy 'median'")]
    [InlineData("--sampling poisson", "--late-updates fold cannot be combined with Poisson sampling")]
    [InlineData("--dp-noise-multiplier 1.0 --dp-epsilon-budget 8", "--late-updates fold cannot be combined with central DP")]
    [InlineData("--dp-epsilon-budget 8", "--late-updates fold cannot be combined with central DP")]
    [InlineData("--secagg secagg", "--late-updates fold cannot be combined with secure aggregation")]
    public async Task Folding_late_updates_where_it_cannot_be_sound_exits_with_code_2_and_says_why(string options, string named)
    {
        var (code, errors) = await RunAsync(["simulate", "--late-updates", "fold", .. options.Split(' '), "--out", "/tmp/never-written"]);

        Assert.Equal(2, code);
        Assert.Contains(named, errors);
    }

    [Fact]
    public void The_round_timeout_defaults_to_ten_minutes_and_to_thirty_seconds_with_simulated_dropouts()
    {
        Assert.Equal(TimeSpan.FromMinutes(10), FlMicroservices.Simulation.SimulationOptions.RoundTimeoutFor(null, 0));
        Assert.Equal(TimeSpan.FromSeconds(30), FlMicroservices.Simulation.SimulationOptions.RoundTimeoutFor(null, 0.2));
        Assert.Equal(TimeSpan.FromSeconds(7.5), FlMicroservices.Simulation.SimulationOptions.RoundTimeoutFor(7.5, 0.2));
        // Under device profiles the timeout is the simulated deadline: clients that will not send decline, so no round waits for it.
        Assert.Equal(TimeSpan.FromSeconds(120), FlMicroservices.Simulation.SimulationOptions.RoundTimeoutFor(null, 0.2, roundDeadline: 120));
        Assert.Equal(TimeSpan.FromSeconds(86_399), FlMicroservices.Simulation.SimulationOptions.RoundTimeoutFor(null, 0, roundDeadline: 30 * 86_400));
        Assert.Equal(TimeSpan.FromSeconds(45), FlMicroservices.Simulation.SimulationOptions.RoundTimeoutFor(45, 0, roundDeadline: 120));
    }

    [Fact]
    public async Task An_unknown_option_exits_with_code_2()
    {
        var (code, errors) = await RunAsync("simulate", "--no-such-option");

        Assert.Equal(2, code);
        Assert.Contains("--no-such-option", errors);
    }

    [Fact]
    public async Task A_corrupt_data_file_exits_with_code_1_and_names_the_file()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_out, "mnist")).FullName;
        foreach (var name in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
            await File.WriteAllBytesAsync(Path.Combine(dir, name), [1, 2, 3]);

        var (code, errors) = await RunAsync("simulate", "--dataset", "mnist", "--data-dir", dir, "--out", Path.Combine(_out, "run"));

        Assert.Equal(1, code);
        Assert.Contains("idx", errors);
        Assert.Contains(dir, errors);
    }

    [Fact]
    public async Task A_short_run_writes_the_summary_metrics_and_plot()
    {
        var (code, errors) = await RunAsync("simulate", "--clients", "6", "--fraction", "0.5", "--rounds", "2", "--local-epochs", "1", "--out", _out);

        Assert.True(code == 0, errors);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal(2, root.GetProperty("rounds").GetInt32());
        Assert.InRange(root.GetProperty("final_accuracy").GetDouble(), 0, 1);
        Assert.Equal(2, root.GetProperty("accuracy_per_round").GetArrayLength());
        Assert.Equal(2, root.GetProperty("loss_per_round").GetArrayLength());
        Assert.Equal([3, 3], root.GetProperty("participants_per_round").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(root.GetProperty("wall_seconds").GetDouble() > 0);
        var lines = await File.ReadAllLinesAsync(Path.Combine(_out, "metrics.jsonl"));
        Assert.Equal(2, lines.Length);
        Assert.Equal(1, JsonDocument.Parse(lines[0]).RootElement.GetProperty("round").GetInt32());
        var png = await File.ReadAllBytesAsync(Path.Combine(_out, "accuracy.png"));
        Assert.True(png.Length > 1000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [Fact]
    public async Task A_task_whose_rounds_all_fail_exits_with_code_1_and_says_why()
    {
        // Every selected client drops out (rate 0.999: the seeded draws keep none), so no round reaches its quorum: each fails at its 2 s timeout.
        var (code, errors) = await RunAsync("simulate", "--clients", "6", "--fraction", "0.5", "--rounds", "2", "--local-epochs", "1",
            "--dropout", "0.999", "--round-timeout", "2", "--out", _out);

        Assert.Equal(1, code);
        Assert.Contains("the task failed: 2 rounds ran, 2 failed (round 1:", errors);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "summary.json")));
        Assert.False(summary.RootElement.GetProperty("succeeded").GetBoolean());
    }
}
