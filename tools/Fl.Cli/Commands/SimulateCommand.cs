using System.CommandLine;
using FlMicroservices.Cli.Dashboard;
using FlMicroservices.Simulation;
using FlMicroservices.Training;
using Spectre.Console;

namespace FlMicroservices.Cli.Commands;

/// <summary>`fl simulate`: one federated task in embedded mode with virtual clients, with live progress and a run report.</summary>
public static class SimulateCommand
{
    public static Command Create()
    {
        var defaults = new SimulationOptions();
        var dataset = new Option<string>("--dataset") { Description = $"Data set: {DatasetSpec.ValidForms}", DefaultValueFactory = _ => defaults.Dataset };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder with the MNIST IDX files (gzip or raw), for --dataset mnist" };
        var model = new Option<string>("--model") { Description = "Model: logreg, mlp (McMahan's 2NN), cnn", DefaultValueFactory = _ => defaults.Model };
        var clients = new Option<int>("--clients") { Description = "Number of virtual clients (synthetic: devices)", DefaultValueFactory = _ => defaults.Clients };
        var fraction = new Option<double>("--fraction") { Description = "Share of clients selected per round (C)", DefaultValueFactory = _ => defaults.Fraction };
        var rounds = new Option<int>("--rounds") { Description = "Number of rounds", DefaultValueFactory = _ => defaults.Rounds };
        var epochs = new Option<int>("--local-epochs") { Description = "Local epochs per round (E)", DefaultValueFactory = _ => defaults.LocalEpochs };
        var batch = new Option<int>("--batch-size") { Description = "Local mini-batch size (B)", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Local SGD learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var partition = new Option<string?>("--partition") { Description = "iid | shards | dirichlet:ALPHA (default: the data set's natural split for synthetic, iid for mnist)" };
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed gives the same results", DefaultValueFactory = _ => defaults.Seed };
        var outDir = new Option<string>("--out") { Description = "Folder for summary.json, metrics.jsonl, accuracy.png and the model store", DefaultValueFactory = _ => defaults.OutDir };
        var trainSamples = new Option<int>("--train-samples") { Description = "Use only the first N training samples (0 = all)", DefaultValueFactory = _ => 0 };
        var testSamples = new Option<int>("--test-samples") { Description = "Evaluate on the first N test samples (0 = all)", DefaultValueFactory = _ => 0 };
        var parallelism = new Option<int>("--parallelism") { Description = "Clients trained at once", DefaultValueFactory = _ => defaults.Parallelism };
        var dropout = new Option<double>("--dropout") { Description = "Share of selected clients that drop out of each round", DefaultValueFactory = _ => 0 };
        var roundTimeout = new Option<double?>("--round-timeout")
        {
            Description = "Seconds a round waits for updates before it closes with those that arrived (default 600; 30 with --dropout, " +
                "since a dropped client never reports and every round then waits this long; with --profiles, --round-deadline)",
        };
        var profiles = new Option<string?>("--profiles")
        {
            Description = "Device and network profiles under a simulated clock: uniform, heavy-tail, mobile or csv:PATH (docs/simulated-clock.md); " +
                "metrics gain simulated seconds and bytes per round",
        };
        var roundDeadline = new Option<double>("--round-deadline")
        {
            Description = "With --profiles: simulated seconds a round waits for its clients' updates",
            DefaultValueFactory = _ => SimulationOptions.DefaultRoundDeadline,
        };
        var selection = new Option<string>("--selection")
        {
            Description = "How each round's clients are picked: random, fairness (least selected first), power-of-choice (highest recent loss " +
                "of a random draw), deadline (skip clients too slow for the round timeout) or oort (docs/selection.md)",
            DefaultValueFactory = _ => defaults.Selection,
        };
        var overSelection = new Option<double>("--over-selection")
        {
            Description = "Pick this share more clients than a round needs and close the round once the needed updates arrived (0 to 1; docs/selection.md)",
            DefaultValueFactory = _ => 0,
        };
        var lateUpdates = new Option<string>("--late-updates")
        {
            Description = "An update that arrives after its round closed: drop, or fold it into the next round weighted by 1/sqrt(2) (docs/selection.md)",
            DefaultValueFactory = _ => defaults.LateUpdates,
        };
        var mode = new Option<string>("--mode")
        {
            Description = "sync (rounds through the services) or async (FedBuff on the simulated clock: clients train continuously, a new version every --buffer updates; docs/fedbuff.md)",
            DefaultValueFactory = _ => SimulationOptions.SyncMode,
        };
        var buffer = new Option<int?>("--buffer") { Description = $"With --mode async: K, accepted updates per new model version (default {SimulationOptions.DefaultBuffer})" };
        var maxStaleness = new Option<int?>("--max-staleness") { Description = "With --mode async: drop updates more than this many versions behind (default: no limit)" };
        var concurrency = new Option<int?>("--concurrency") { Description = "With --mode async: clients training at once (default: as many as a synchronous round selects, --fraction of --clients)" };
        var staleness = new Option<string?>("--staleness") { Description = $"With --mode async: how staleness s weighs an update: {FlMicroservices.Core.Async.StalenessWeightings.ValidForms} (default polynomial)" };
        var target = new Option<double>("--target-accuracy") { Description = "Stop once test accuracy reaches this (0 = run all rounds)", DefaultValueFactory = _ => 0 };
        var strategy = new Option<string>("--strategy") { Description = "Aggregation: fedavg, fedavgm, fedprox, fedadagrad, fedadam, fedyogi, scaffold, median, trimmed-mean, krum, multi-krum, bulyan", DefaultValueFactory = _ => "fedavg" };
        var attack = new Option<string?>("--attack") { Description = "Simulated attack: sign-flip, scale:K, gaussian:SIGMA, label-flip" };
        var byzantineShare = new Option<double>("--byzantine-share")
        {
            Description = "Share of each round's updates the robust strategies tolerate as Byzantine, in [0, 0.5): f, the trim fraction and multi-krum's m follow from it unless given",
            DefaultValueFactory = _ => defaults.ByzantineShare,
        };
        var attackers = new Option<double>("--attackers") { Description = "Share of clients that attack", DefaultValueFactory = _ => 0 };
        var sampling = new Option<string>("--sampling") { Description = "Client sampling: fixed (the fraction, without replacement) or poisson (each client with probability fraction; what the privacy accountant assumes)", DefaultValueFactory = _ => defaults.Sampling };
        // Differential privacy: central DP-FedAvg (McMahan et al. 2018) by default, DP-SGD on the clients with --dp-local.
        var dpNoise = new Option<double?>("--dp-noise-multiplier") { Description = "Differential privacy with noise multiplier z (central DP-FedAvg; with --dp-local, DP-SGD on the clients)" };
        var dpClip = new Option<double?>("--dp-clip") { Description = $"Clip norm C: of each client's update (central, default {SimulationOptions.DefaultCentralClip}; initial value with --dp-adaptive) or of each example's gradient (--dp-local, default {SimulationOptions.DefaultLocalClip})" };
        var dpAdaptive = new Option<bool>("--dp-adaptive") { Description = "Adapt the clip norm to a quantile of the update norms (Andrew et al. 2021; central DP)" };
        var dpQuantile = new Option<double>("--dp-target-quantile") { Description = "Target quantile γ of the update norms for --dp-adaptive", DefaultValueFactory = _ => defaults.DpTargetQuantile };
        var dpClipLr = new Option<double>("--dp-clip-lr") { Description = "Learning rate η_C of the adaptive clip norm", DefaultValueFactory = _ => defaults.DpClipLearningRate };
        var dpCountNoise = new Option<double>("--dp-count-noise") { Description = "Noise σ_b on the adaptive clipping count (0 = max(m/20, z))", DefaultValueFactory = _ => defaults.DpCountNoise };
        var dpBudget = new Option<double?>("--dp-epsilon-budget") { Description = "Privacy budget ε (required with DP): the task stops before a round would exceed it. Without --dp-noise-multiplier (central DP), z is calibrated so that --rounds rounds spend it" };
        var dpDelta = new Option<double>("--dp-delta") { Description = "δ of the (ε, δ) guarantee", DefaultValueFactory = _ => defaults.DpDelta };
        var signing = new Option<string>("--signing")
        {
            Description = "How clients sign their updates: ecdsa-p256 (default), ml-dsa-65 (post-quantum) or none",
            DefaultValueFactory = _ => FlMicroservices.Contracts.V1.SigningAlgorithms.EcdsaP256,
        };
        var secAgg = new Option<string?>("--secagg") { Description = "Secure aggregation: secagg (pairwise masks between all participants) or secagg-plus (a sparse random graph); the aggregation service only sees masked updates and their sum" };
        var secAggClip = new Option<double>("--secagg-clip") { Description = "With --secagg, clip every coordinate of an update to [-c, c] before masking", DefaultValueFactory = _ => defaults.SecAggClip };
        var dpLocal = new Option<bool>("--dp-local") { Description = "Local DP: DP-SGD on the clients (per-example clipping to --dp-clip, noise --dp-noise-multiplier)" };
        // Strategy parameters: each maps to the strategy factory's parameter name; only those given are passed.
        var strategyOptions = new (Option<double?> Option, string Parameter)[]
        {
            (new Option<double?>("--server-lr") { Description = "Server learning rate (fedavgm, fedadagrad, fedadam, fedyogi, scaffold)" }, "server-lr"),
            (new Option<double?>("--server-momentum") { Description = "Server momentum (fedavgm)" }, "momentum"),
            (new Option<double?>("--beta1") { Description = "First-moment decay (fedadagrad, fedadam, fedyogi)" }, "beta1"),
            (new Option<double?>("--beta2") { Description = "Second-moment decay (fedadam, fedyogi)" }, "beta2"),
            (new Option<double?>("--tau") { Description = "Adaptivity (fedadagrad, fedadam, fedyogi)" }, "tau"),
            (new Option<double?>("--mu") { Description = "Proximal term of the clients' local loss (fedprox)" }, "mu"),
            (new Option<double?>("--max-norm") { Description = "Clip every update to this L2 norm before aggregating (any strategy)" }, "max-norm"),
            (new Option<double?>("--outlier-factor") { Description = "Reject updates whose norm exceeds this many times the previous round's median (any strategy; 0 = off)" }, "outlier-factor"),
            (new Option<double?>("--trim-fraction") { Description = "Share trimmed from each end (trimmed-mean; default: --byzantine-share)" }, "beta"),
            (new Option<double?>("--byzantine") { Description = "Attackers tolerated, f (krum, multi-krum, bulyan; default: --byzantine-share of each round's updates)" }, "f"),
            (new Option<double?>("--select") { Description = "Updates averaged, m (multi-krum; default n - 2f, or n - f with --byzantine)" }, "m"),
        };

        var dashboard = new Option<bool>("--dashboard")
        {
            Description = "Serve the live dashboard on 127.0.0.1 while the run goes (its URL is printed); its runs page also overlays the finished runs beside --out",
        };
        var dashboardPort = new Option<int?>("--dashboard-port") { Description = "Port of --dashboard on 127.0.0.1 (default: a free one)" };
        var compression = new Option<string>("--compression")
        {
            Description = "How clients compress their updates: none, q8 or q4 (unbiased stochastic quantisation), topk:FRACTION (top-k with error " +
                "feedback, e.g. topk:0.01), zstd, or q8+zstd, q4+zstd, topk:FRACTION+zstd (docs/compression.md)",
            DefaultValueFactory = _ => FlMicroservices.Core.Compression.CompressionSpec.NoneText,
        };
        var scaffoldWeighting = new Option<string?>("--scaffold-weighting") { Description = "How scaffold averages the model deltas: uniform (the paper's mean over clients, default) or examples (FedAvg's example-weighted mean)" };

        var command = new Command("simulate", "Run a federated training task with virtual clients, every service in this process")
        {
            dataset, dataDir, model, clients, fraction, rounds, epochs, batch, lr, partition, seed, outDir,
            trainSamples, testSamples, parallelism, dropout, target, strategy, attack, attackers, sampling,
            dpNoise, dpClip, dpAdaptive, dpQuantile, dpClipLr, dpCountNoise, dpBudget, dpDelta, dpLocal,
        };
        command.Add(roundTimeout);
        command.Add(mode);
        command.Add(buffer);
        command.Add(maxStaleness);
        command.Add(concurrency);
        command.Add(staleness);
        command.Add(profiles);
        command.Add(selection);
        command.Add(overSelection);
        command.Add(lateUpdates);
        command.Add(roundDeadline);
        command.Add(byzantineShare);
        command.Add(secAgg);
        command.Add(secAggClip);
        command.Add(signing);
        command.Add(compression);
        foreach (var (option, _) in strategyOptions) command.Add(option);
        command.Add(scaffoldWeighting);
        command.Add(dashboard);
        command.Add(dashboardPort);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new SimulationOptions
            {
                Dataset = parse.GetValue(dataset)!,
                DataDir = parse.GetValue(dataDir),
                Model = parse.GetValue(model)!,
                Clients = parse.GetValue(clients),
                Fraction = parse.GetValue(fraction),
                Rounds = parse.GetValue(rounds),
                LocalEpochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                Partition = parse.GetValue(partition),
                Seed = parse.GetValue(seed),
                OutDir = parse.GetValue(outDir)!,
                TrainSamples = parse.GetValue(trainSamples),
                TestSamples = parse.GetValue(testSamples),
                Parallelism = parse.GetValue(parallelism),
                DropoutRate = parse.GetValue(dropout),
                RoundTimeout = SimulationOptions.RoundTimeoutFor(parse.GetValue(roundTimeout), parse.GetValue(dropout),
                    parse.GetValue(profiles) is not null ? parse.GetValue(roundDeadline) : null),
                Profiles = parse.GetValue(profiles),
                Selection = parse.GetValue(selection)!,
                OverSelection = parse.GetValue(overSelection),
                LateUpdates = parse.GetValue(lateUpdates)!,
                Mode = parse.GetValue(mode)!,
                Buffer = parse.GetValue(buffer),
                MaxStaleness = parse.GetValue(maxStaleness),
                Concurrency = parse.GetValue(concurrency),
                Staleness = parse.GetValue(staleness),
                RoundDeadline = parse.GetValue(roundDeadline),
                TargetAccuracy = parse.GetValue(target),
                Strategy = parse.GetValue(strategy)!,
                Attack = parse.GetValue(attack),
                Attackers = parse.GetValue(attackers),
                ByzantineShare = parse.GetValue(byzantineShare),
                Sampling = parse.GetValue(sampling)!,
                DpNoiseMultiplier = parse.GetValue(dpNoise),
                DpClip = parse.GetValue(dpClip),
                DpAdaptive = parse.GetValue(dpAdaptive),
                DpTargetQuantile = parse.GetValue(dpQuantile),
                DpClipLearningRate = parse.GetValue(dpClipLr),
                DpCountNoise = parse.GetValue(dpCountNoise),
                DpEpsilonBudget = parse.GetValue(dpBudget),
                DpDelta = parse.GetValue(dpDelta),
                DpLocal = parse.GetValue(dpLocal),
                SecAgg = parse.GetValue(secAgg),
                SecAggClip = parse.GetValue(secAggClip),
                Signing = parse.GetValue(signing)!,
                Compression = parse.GetValue(compression)!,
                StrategyParameters = WithText(strategyOptions
                    .Where(o => parse.GetValue(o.Option) is not null)
                    .ToDictionary(o => o.Parameter, o => parse.GetValue(o.Option)!.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)),
                    FlMicroservices.Core.Aggregation.Scaffold.WeightingParameter, parse.GetValue(scaffoldWeighting)),
            };
            return await RunAsync(options, parse.GetValue(dashboard), parse.GetValue(dashboardPort), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(SimulationOptions options, bool dashboard, int? dashboardPort, CancellationToken cancellationToken)
    {
        string? calibrationProblem = null;
        if (options.Mode != SimulationOptions.AsyncMode && options.WithCalibratedNoise(out calibrationProblem) is { } calibrated)
        {
            options = calibrated;
            Console.WriteLine(FormattableString.Invariant(
                $"Central DP: noise multiplier z = {options.DpNoiseMultiplier:G4}, calibrated so that {options.Rounds} rounds at sampling rate {options.Fraction:G4} spend at most ε = {options.DpEpsilonBudget:G4} (δ = {options.DpDelta:G3})"));
        }
        var problems = options.Validate().ToList();
        if (calibrationProblem is not null) problems.Add(calibrationProblem);
        if (options.DataDir is { } dir && OptionChecks.ReadableFolder("--data-dir", dir) is { } unreadable) problems.Add(unreadable);
        if (problems.Count == 0 && OptionChecks.WritableFolder("--out", options.OutDir) is { } unwritable) problems.Add(unwritable);
        if (dashboardPort is not null && !dashboard) problems.Add("--dashboard-port needs --dashboard");
        if (dashboard && options.Mode == SimulationOptions.AsyncMode) problems.Add("--dashboard cannot be combined with --mode async yet: the live view follows the services' events, and an async run trains without them");
        DashboardWebHost? web = null;
        if (problems.Count == 0 && dashboard)
        {
            if (OptionChecks.LoopbackPort("--dashboard-port", dashboardPort ?? 0, out var port) is { } portProblem) problems.Add(portProblem);
            else web = new DashboardWebHost(port, RunsBeside(options.OutDir));
        }
        if (problems.Count > 0)
        {
            foreach (var problem in problems) Console.Error.WriteLine($"fl simulate: {problem}");
            return CliRunner.InvalidOption;
        }

        if (web is not null)
            Console.WriteLine($"Dashboard: {web.Url}/ (127.0.0.1 only, while the run goes; its runs page lists the runs in {RunsBeside(options.OutDir)})");
        SimulationResult? result = null;
        try
        {
            if (AnsiConsole.Profile.Capabilities.Interactive)
            {
                await AnsiConsole.Progress()
                    .AutoClear(false)
                    .HideCompleted(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .StartAsync(async context =>
                    {
                        var progress = new ConsoleProgress(context, options.Rounds);
                        result = await RunModeAsync(options, progress, web, cancellationToken);
                        progress.Finish();
                    });
            }
            else
            {
                result = await RunModeAsync(options, new LineProgress(options.Rounds), web, cancellationToken);
            }
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"fl simulate: bad data: {e.Message}");
            return CliRunner.Failed;
        }
        catch (IOException e) when (web is not null && e.InnerException is System.Net.Sockets.SocketException or null)
        {
            Console.Error.WriteLine($"fl simulate: --dashboard-port: the dashboard cannot listen on {web.Url}: {e.Message}");
            return CliRunner.InvalidOption;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or ArgumentException)
        {
            Console.Error.WriteLine($"fl simulate: {e.Message}");
            return CliRunner.Failed;
        }

        var files = RunReport.Write(options.OutDir, result!);
        RunReport.PrintTable(result!);
        var outcome = result!.Succeeded ? "[green]Done[/]" : "[red]Failed[/]";
        AnsiConsole.MarkupLine($"{outcome}: {result.Rounds} rounds, final accuracy [bold]{Format(result.FinalAccuracy)}[/], {result.WallSeconds:F1} s ({Markup.Escape(result.CompletionReason)}).");
        if (result.SimulatedSeconds is { } simulated)
            AnsiConsole.MarkupLine($"Simulated time: {simulated:F0} s" + (result.SimulatedSecondsToTarget is { } toTarget ? $", {toTarget:F0} s to the target accuracy." : "."));
        if (VersionsLine(result) is { } versions) AnsiConsole.MarkupLine(Markup.Escape(versions));
        if (PrivacyLine(result) is { } privacy) AnsiConsole.MarkupLine(Markup.Escape(privacy));
        foreach (var file in files) AnsiConsole.MarkupLine($"  wrote [blue]{Markup.Escape(file)}[/]");
        if (!result.Succeeded) Console.Error.WriteLine($"fl simulate: the task failed: {result.CompletionReason}");
        return result.Succeeded ? CliRunner.Ok : CliRunner.Failed;
    }

    private static Task<SimulationResult> RunModeAsync(SimulationOptions options, ISimulationProgress progress, DashboardWebHost? web, CancellationToken cancellationToken) =>
        options.Mode == SimulationOptions.AsyncMode
            ? Simulation.Async.FedBuffSimulation.RunAsync(options, progress, cancellationToken)
            : SimulationRunner.RunAsync(options, progress, cancellationToken: cancellationToken, host: web);

    // The folder that holds --out: a user keeps each run in a sibling folder (runs/a, runs/b) and compares them on the runs page.
    private static string RunsBeside(string outDir) => Path.GetDirectoryName(Path.GetFullPath(outDir).TrimEnd(Path.DirectorySeparatorChar)) ?? Path.GetFullPath(outDir);

    private static Dictionary<string, string> WithText(Dictionary<string, string> parameters, string key, string? value)
    {
        if (value is not null) parameters[key] = value;
        return parameters;
    }

    internal static string Format(double? accuracy) => accuracy is { } a ? $"{a:P2}" : "n/a";

    /// <summary>"Best validated version 31 (85.10 %), written to runs/x/best-model; final version 40 (84.90 %)", or null when nothing was validated.</summary>
    public static string? VersionsLine(SimulationResult result) => result.BestVersion is not { } best
        ? null
        : $"Best validated version {best} ({Format(result.BestAccuracy)}){(result.BestModelFolder is { } folder ? $", written to {folder}" : "")}; " +
          $"final version {result.FinalVersion} ({Format(result.FinalAccuracy)})";

    /// <summary>"Privacy (central DP): ε = 2.87 spent of 3 at δ = 1e-05 (budget exhausted)", or null without DP.</summary>
    public static string? PrivacyLine(SimulationResult result) => result.DpMechanism is null
        ? null
        : FormattableString.Invariant(
            $"Privacy ({result.DpMechanism} DP): ε = {result.EpsilonSpent:G4} spent of {result.EpsilonBudget:G4} at δ = {result.Delta:G3}{(result.PrivacyBudgetExhausted ? " (budget exhausted)" : "")}{(result.DpAccounting is { } how ? $"; accounted {how}" : "")}");
}
