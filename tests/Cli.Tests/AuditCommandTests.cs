using System.CommandLine;
using System.Text.Json;
using FlMicroservices.Cli.Audit;
using FlMicroservices.Cli.Commands;

namespace FlMicroservices.Cli.Tests;

/// <summary>`fl audit` end to end on a tiny configuration, and its privacy check: the empirical bound stays below the accountant's.</summary>
[Collection("console")]
public sealed class AuditCommandTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-audit-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public async Task A_small_audit_writes_its_report_and_roc_and_every_dp_bound_is_within_the_accountant()
    {
        var code = await CliRunner.RunAsync(new RootCommand { AuditCommand.Create() },
            ["audit", "--clients", "4", "--samples-per-client", "5", "--canaries", "16", "--rounds", "2", "--local-epochs", "2",
             "--model", "logreg", "--epsilons", "2,8", "--out", _out]);

        Assert.Equal(CliRunner.Ok, code);
        Assert.True(new FileInfo(Path.Combine(_out, "roc.png")).Length > 1000);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(_out, "audit.json")));
        var runs = report.RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["no DP", "DP eps=2", "DP eps=8"], runs.Select(r => r.GetProperty("label").GetString()));
        foreach (var run in runs.Skip(1))
        {
            Assert.True(run.GetProperty("empirical_epsilon_lower_bound").GetDouble() <= run.GetProperty("accountant_epsilon").GetDouble());
            Assert.True(run.GetProperty("noise_multiplier").GetDouble() > 0);
            Assert.InRange(run.GetProperty("auc").GetDouble(), 0, 1);
        }
    }

    [Fact]
    public void The_noise_of_each_dp_run_is_the_accountants_for_its_target_epsilon()
    {
        var runs = PrivacyAudit.Run(new AuditOptions { Clients = 3, SamplesPerClient = 5, Canaries = 8, Rounds = 3, LocalEpochs = 1, Model = "logreg", Epsilons = [4] });

        var dp = runs[1];
        var accountant = new Core.Privacy.RdpAccountant();
        accountant.Step(dp.NoiseMultiplier!.Value, 1.0, 3);
        Assert.InRange(accountant.GetEpsilon(1e-5).Epsilon, 3.9, 4.0 + 1e-9);
    }

    [Theory]
    [InlineData("--epsilons", "1,x", "--epsilons")]
    [InlineData("--canaries", "2", "--canaries")]
    [InlineData("--model", "cnn", "--model")]
    public async Task Bad_options_exit_with_code_2_naming_them(string option, string value, string named)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            var code = await CliRunner.RunAsync(new RootCommand { AuditCommand.Create() }, ["audit", option, value, "--out", _out]);
            Assert.Equal(CliRunner.InvalidOption, code);
            Assert.Contains(named, error.ToString());
        }
        finally { Console.SetError(original); }
    }
}
