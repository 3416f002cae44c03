using System.CommandLine;
using System.Text.Json;
using FlMicroservices.Cli.Commands;

namespace FlMicroservices.Cli.Tests;

/// <summary>`fl simulate --strategy scaffold` end to end through the command line.</summary>
[Collection("console")]
public sealed class SimulateScaffoldTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-cli-scaffold-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    private static Task<(int Code, string Errors)> RunAsync(params string[] args) => SimulateCli.RunAsync(args);

    [Fact]
    public async Task Scaffold_with_a_server_learning_rate_runs_and_writes_its_summary()
    {
        var (code, errors) = await RunAsync("simulate", "--strategy", "scaffold", "--server-lr", "1", "--scaffold-weighting", "uniform",
            "--clients", "8", "--fraction", "0.5", "--rounds", "3", "--local-epochs", "1", "--out", _out);

        Assert.True(code == 0, errors);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "summary.json")));
        Assert.Equal(3, summary.RootElement.GetProperty("rounds").GetInt32());
        Assert.True(summary.RootElement.GetProperty("final_accuracy").GetDouble() > 0.1);
    }

    [Theory]
    [InlineData("--mu", "0.1", "--mu")]
    [InlineData("--server-lr", "0", "'server-lr'")]
    [InlineData("--max-norm", "1", "'max-norm'")]
    [InlineData("--scaffold-weighting", "median", "'scaffold-weighting'")]
    public async Task Options_that_do_not_fit_scaffold_exit_with_code_2_and_are_named(string option, string value, string named)
    {
        var (code, errors) = await RunAsync("simulate", "--strategy", "scaffold", option, value, "--out", "/tmp/never-written");

        Assert.Equal(2, code);
        Assert.Contains(named, errors);
    }
}
