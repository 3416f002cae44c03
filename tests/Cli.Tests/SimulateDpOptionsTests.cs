using System.CommandLine;
using System.Text.Json;
using FlMicroservices.Cli.Commands;

namespace FlMicroservices.Cli.Tests;

[Collection("console")]
public sealed class SimulateDpOptionsTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-cli-dp-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    private static async Task<(int Code, string Output, string Errors)> RunAsync(params string[] args)
    {
        var error = new StringWriter();
        var output = new StringWriter();
        var originalError = Console.Error;
        var originalOut = Console.Out;
        Console.SetError(error);
        Console.SetOut(output);
        try
        {
            var code = await CliRunner.RunAsync(new RootCommand { SimulateCommand.Create() }, args);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetError(originalError);
            Console.SetOut(originalOut);
        }
    }

    [Theory]
    [InlineData("--dp-clip", "0", "--dp-clip")]
    [InlineData("--dp-delta", "1", "--dp-delta")]
    [InlineData("--dp-epsilon-budget", "-1", "--dp-epsilon-budget")]
    [InlineData("--dp-noise-multiplier", "0", "--dp-noise-multiplier")]
    [InlineData("--dp-target-quantile", "2", "--dp-target-quantile")]
    [InlineData("--sampling", "random", "--sampling")]
    [InlineData("--strategy", "krum", "--strategy")]
    public async Task An_invalid_dp_option_exits_with_code_2_and_names_it(string option, string value, string named)
    {
        var args = new List<string> { "simulate", "--out", "/tmp/never-written" };
        if (option != "--dp-noise-multiplier") args.AddRange(["--dp-noise-multiplier", "1"]);
        if (option != "--dp-epsilon-budget") args.AddRange(["--dp-epsilon-budget", "5"]);
        args.AddRange(["--dp-adaptive", option, value]);

        var (code, _, errors) = await RunAsync([.. args]);

        Assert.Equal(2, code);
        Assert.Contains(named, errors);
    }

    [Fact]
    public async Task Dp_options_without_a_noise_multiplier_or_without_a_budget_are_refused()
    {
        var (local, _, localErrors) = await RunAsync("simulate", "--dp-local", "--out", "/tmp/never-written");
        var (budget, _, budgetErrors) = await RunAsync("simulate", "--dp-noise-multiplier", "1", "--out", "/tmp/never-written");

        Assert.Equal(2, local);
        Assert.Contains("--dp-local needs --dp-noise-multiplier", localErrors);
        Assert.Equal(2, budget);
        Assert.Contains("--dp-epsilon-budget is required", budgetErrors);
    }

    [Fact]
    public async Task A_dp_run_reports_the_epsilon_spent_in_the_summary_and_on_the_console()
    {
        var (code, _, errors) = await RunAsync("simulate", "--clients", "6", "--fraction", "0.5", "--rounds", "5", "--local-epochs", "1",
            "--dp-noise-multiplier", "1", "--dp-clip", "1", "--dp-epsilon-budget", "6", "--dp-delta", "1e-5", "--out", _out);

        Assert.True(code == 0, errors);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "summary.json")));
        var root = summary.RootElement;
        var rounds = root.GetProperty("rounds").GetInt32();
        var spent = root.GetProperty("epsilon_spent").GetDouble();
        Assert.InRange(rounds, 1, 4); // q = 0.5, z = 1: ε(2) = 5.38 ≤ 6 < ε(3) = 6.48
        Assert.Equal(2, rounds);
        Assert.InRange(spent, 5.37, 5.38);
        Assert.Equal(6, root.GetProperty("epsilon_budget").GetDouble());
        Assert.Equal(1e-5, root.GetProperty("delta").GetDouble());
        Assert.Equal("central", root.GetProperty("dp_mechanism").GetString());
        Assert.True(root.GetProperty("privacy_budget_exhausted").GetBoolean());
        Assert.Contains("privacy budget", root.GetProperty("completion_reason").GetString());
        var lines = await File.ReadAllLinesAsync(Path.Combine(_out, "metrics.jsonl"));
        Assert.Equal(spent, JsonDocument.Parse(lines[^1]).RootElement.GetProperty("epsilon").GetDouble());
        var result = new Simulation.SimulationResult("t", "d", "logreg", 6, rounds, null, null, null, [], [], [], null, 0, 0, 1, "r", 1)
        {
            DpMechanism = "central", EpsilonSpent = spent, EpsilonBudget = 6, Delta = 1e-5, PrivacyBudgetExhausted = true,
        };
        Assert.Equal("Privacy (central DP): ε = 5.377 spent of 6 at δ = 1E-05 (budget exhausted)", SimulateCommand.PrivacyLine(result));
        Assert.Null(SimulateCommand.PrivacyLine(result with { DpMechanism = null }));
    }

    [Fact]
    public async Task A_budget_without_a_noise_multiplier_calibrates_z_so_that_every_planned_round_fits()
    {
        var (code, output, errors) = await RunAsync("simulate", "--clients", "6", "--fraction", "0.5", "--rounds", "3", "--local-epochs", "1",
            "--dp-epsilon-budget", "6", "--dp-delta", "1e-5", "--out", _out);

        Assert.True(code == 0, errors);
        var z = FlMicroservices.Core.Privacy.NoiseCalibrator.FindNoiseMultiplier(6, 0.5, 3, 1e-5);
        Assert.InRange(z, 1, 2); // z = 1 spends 6 in two rounds (the test above); three need more noise
        Assert.Contains($"noise multiplier z = {z:G4}, calibrated so that 3 rounds at sampling rate 0.5 spend at most ε = 6", output);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal(3, root.GetProperty("rounds").GetInt32());
        Assert.Equal(z, root.GetProperty("noise_multiplier").GetDouble());
        Assert.True(root.GetProperty("noise_calibrated").GetBoolean());
        Assert.False(root.GetProperty("privacy_budget_exhausted").GetBoolean());
        Assert.InRange(root.GetProperty("epsilon_spent").GetDouble(), 5.5, 6);
    }

    [Theory]
    [InlineData("-1", "--dp-epsilon-budget -1 must be")]
    [InlineData("0.000001", "--dp-epsilon-budget 1E-06: no noise multiplier spends at most that")]
    public async Task A_budget_alone_that_cannot_be_met_exits_with_code_2_and_names_it(string budget, string message)
    {
        var (code, _, errors) = await RunAsync("simulate", "--dp-epsilon-budget", budget, "--out", "/tmp/never-written");

        Assert.Equal(2, code);
        Assert.Contains(message, errors);
    }

    [Fact]
    public async Task A_local_dp_run_with_poisson_sampling_completes()
    {
        var (code, _, errors) = await RunAsync("simulate", "--clients", "6", "--fraction", "0.5", "--rounds", "2", "--local-epochs", "1",
            "--sampling", "poisson", "--dp-local", "--dp-noise-multiplier", "1.1", "--dp-clip", "1", "--dp-epsilon-budget", "100", "--out", _out);

        Assert.True(code == 0, errors);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "summary.json")));
        Assert.Equal("local", summary.RootElement.GetProperty("dp_mechanism").GetString());
        Assert.Equal(2, summary.RootElement.GetProperty("rounds").GetInt32());
        Assert.True(summary.RootElement.GetProperty("epsilon_spent").GetDouble() > 0);
    }
}
