using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FlMicroservices.Cli.Audit;

namespace FlMicroservices.Cli.Commands;

/// <summary>`fl audit`: membership inference and an empirical epsilon lower bound against models trained with and without DP.</summary>
public static class AuditCommand
{
    public static Command Create()
    {
        var defaults = new AuditOptions();
        var clients = new Option<int>("--clients") { Description = "Real clients", DefaultValueFactory = _ => defaults.Clients };
        var samples = new Option<int>("--samples-per-client") { Description = "Training samples per real client (few = overfit)", DefaultValueFactory = _ => defaults.SamplesPerClient };
        var canaries = new Option<int>("--canaries") { Description = "Canary clients, each included with probability 1/2", DefaultValueFactory = _ => defaults.Canaries };
        var rounds = new Option<int>("--rounds") { Description = "Rounds", DefaultValueFactory = _ => defaults.Rounds };
        var epochs = new Option<int>("--local-epochs") { Description = "Local epochs", DefaultValueFactory = _ => defaults.LocalEpochs };
        var model = new Option<string>("--model") { Description = "logreg | mlp", DefaultValueFactory = _ => defaults.Model };
        var epsilons = new Option<string>("--epsilons") { Description = "Target epsilons of the DP runs, comma-separated", DefaultValueFactory = _ => "1,3,8" };
        var delta = new Option<double>("--delta") { Description = "delta of the DP runs", DefaultValueFactory = _ => defaults.Delta };
        var seed = new Option<int>("--seed") { Description = "Seed", DefaultValueFactory = _ => defaults.Seed };
        var outDir = new Option<string>("--out") { Description = "Folder for audit.json and roc.png", DefaultValueFactory = _ => "runs/audit" };
        var command = new Command("audit", "Membership-inference audit (AUC, TPR at 1% FPR) and empirical epsilon lower bound, without DP and with DP-FedAvg")
        {
            clients, samples, canaries, rounds, epochs, model, epsilons, delta, seed, outDir,
            AuditLogCommand.Create(),
        };
        command.SetAction(parse =>
        {
            double[] targets;
            try { targets = parse.GetValue(epsilons)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray(); }
            catch (FormatException) { return Invalid($"--epsilons '{parse.GetValue(epsilons)}' must be comma-separated numbers"); }
            if (targets.Length == 0 || targets.Any(e => !(e > 0) || !double.IsFinite(e))) return Invalid($"--epsilons '{parse.GetValue(epsilons)}' must all be finite numbers greater than 0");
            var options = new AuditOptions
            {
                Clients = parse.GetValue(clients), SamplesPerClient = parse.GetValue(samples), Canaries = parse.GetValue(canaries),
                Rounds = parse.GetValue(rounds), LocalEpochs = parse.GetValue(epochs), Model = parse.GetValue(model)!,
                Epsilons = targets, Delta = parse.GetValue(delta), Seed = parse.GetValue(seed),
            };
            if (options.Clients is < 2 or > 10_000) return Invalid($"--clients {options.Clients} must be between 2 and 10000");
            if (options.SamplesPerClient is < 5 or > 100_000) return Invalid($"--samples-per-client {options.SamplesPerClient} must be between 5 and 100000");
            if (options.Canaries is < 8 or > 10_000) return Invalid($"--canaries {options.Canaries} must be between 8 and 10000");
            if (options.Rounds is < 1 or > 10_000) return Invalid($"--rounds {options.Rounds} must be between 1 and 10000");
            if (options.LocalEpochs is < 1 or > 1_000) return Invalid($"--local-epochs {options.LocalEpochs} must be between 1 and 1000");
            if (options.Model is not ("logreg" or "mlp")) return Invalid($"--model '{options.Model}' must be logreg or mlp");
            if (!(options.Delta > 0 && options.Delta < 1)) return Invalid($"--delta {options.Delta} must be in (0, 1)");
            var outPath = parse.GetValue(outDir)!;
            if (OptionChecks.WritableFolder("--out", outPath) is { } unwritable) return Invalid(unwritable); // before minutes of training

            IReadOnlyList<AuditRun> runs;
            try { runs = PrivacyAudit.Run(options, message => Console.Error.WriteLine($"fl audit: {message}")); }
            catch (ArgumentOutOfRangeException e) when (e.ParamName == "targetEpsilon")
            {
                return Invalid($"--epsilons {e.ActualValue}: {e.Message.Split(" (Parameter", 2)[0]}");
            }
            var report = runs.Select(r => new
            {
                label = r.Label, accountant_epsilon = r.AccountantEpsilon, noise_multiplier = r.NoiseMultiplier, delta = r.AccountantEpsilon is null ? (double?)null : options.Delta,
                auc = r.Auc, tpr_at_1pct_fpr = r.TprAt1PctFpr, empirical_epsilon_lower_bound = r.EmpiricalEpsilonLowerBound,
                canary_guesses = r.CanaryGuesses, canary_correct = r.CanaryCorrect, test_accuracy = r.TestAccuracy, seconds = r.Seconds,
                bound_within_accountant = r.AccountantEpsilon is null ? (bool?)null : r.EmpiricalEpsilonLowerBound <= r.AccountantEpsilon,
            }).ToArray();
            File.WriteAllText(Path.Combine(outPath, "audit.json"), JsonSerializer.Serialize(new { options, runs = report }, new JsonSerializerOptions { WriteIndented = true }));
            SaveRoc(Path.Combine(outPath, "roc.png"), runs);
            Console.WriteLine(JsonSerializer.Serialize(report));
            Console.Error.WriteLine($"fl audit: wrote {Path.Combine(outPath, "audit.json")} and roc.png");
            return runs.All(r => r.AccountantEpsilon is null || r.EmpiricalEpsilonLowerBound <= r.AccountantEpsilon) ? CliRunner.Ok : CliRunner.Failed;
        });
        return command;
    }

    private static void SaveRoc(string path, IReadOnlyList<AuditRun> runs)
    {
        var plot = new ScottPlot.Plot();
        foreach (var run in runs)
        {
            var line = plot.Add.Scatter(run.Roc.Select(p => p.FalsePositiveRate).ToArray(), run.Roc.Select(p => p.TruePositiveRate).ToArray());
            line.LegendText = $"{run.Label} (AUC {run.Auc:F2})";
            line.MarkerSize = 0;
        }
        var chance = plot.Add.Line(0, 0, 1, 1);
        chance.LinePattern = ScottPlot.LinePattern.Dashed;
        plot.ShowLegend();
        plot.Title("Loss-threshold membership inference: ROC");
        plot.XLabel("false-positive rate");
        plot.YLabel("true-positive rate");
        plot.SavePng(path, 700, 600);
    }

    private static int Invalid(string message)
    {
        Console.Error.WriteLine($"fl audit: {message}");
        return CliRunner.InvalidOption;
    }
}
