using FlMicroservices.Contracts.V1;
using FlMicroservices.Simulation.Attacks;
using FlMicroservices.Training;

namespace FlMicroservices.Simulation;

/// <summary>Everything a simulated federated run needs; <see cref="Validate"/> names every bad setting.</summary>
public sealed record SimulationOptions
{
    /// <summary>"synthetic" (FedProx Synthetic(1,1)), "synthetic:ALPHA,BETA", "synthetic-iid" or "mnist".</summary>
    public string Dataset { get; init; } = "synthetic";
    public string? DataDir { get; init; }
    public string Model { get; init; } = "logreg";
    public int Clients { get; init; } = 30;
    public double Fraction { get; init; } = 0.34;
    public int Rounds { get; init; } = 40;
    public int LocalEpochs { get; init; } = 10;
    public int BatchSize { get; init; } = 10;
    public double LearningRate { get; init; } = 0.02;
    /// <summary>"iid", "shards", "shards:K", "dirichlet:ALPHA"; null keeps a data set's natural split (synthetic devices) or means iid (mnist).</summary>
    public string? Partition { get; init; }
    public int Seed { get; init; } = 1;
    public string OutDir { get; init; } = "runs/latest";
    /// <summary>Use only the first N training samples (0 = all), for quick runs.</summary>
    public int TrainSamples { get; init; }
    /// <summary>Evaluate on the first N test samples (0 = all).</summary>
    public int TestSamples { get; init; }
    public int Parallelism { get; init; } = Math.Max(1, Environment.ProcessorCount);
    public double DropoutRate { get; init; }
    public TimeSpan RoundTimeout { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Smallest share of a round's selected clients whose updates must arrive (the task's quorum).</summary>
    public double Quorum { get; init; } = 0.5;

    /// <summary>
    /// The round timeout for <c>--round-timeout</c> (seconds, null: not given): 600 s, or 30 s with simulated dropouts, whose clients
    /// never report, so that every round does not wait ten minutes for them. Under device profiles it is the simulated
    /// <paramref name="roundDeadline"/> (at most a day), which the deadline-aware and Oort policies compare the clients' simulated round
    /// times with; no round waits for it on the wall clock, since every client that will not send declines. A non-positive or
    /// non-finite value is kept as given, for <see cref="Validate"/> to refuse by name.
    /// </summary>
    public static TimeSpan RoundTimeoutFor(double? seconds, double dropoutRate, double? roundDeadline = null) => seconds switch
    {
        null when roundDeadline is > 0 and <= MaxRoundDeadline => TimeSpan.FromSeconds(Math.Min(roundDeadline.Value, 86_399)),
        null => dropoutRate > 0 ? TimeSpan.FromSeconds(30) : TimeSpan.FromMinutes(10),
        > 0 and < 86_400 => TimeSpan.FromSeconds(seconds.Value),
        _ => TimeSpan.Zero,
    };
    /// <summary>Device profiles under a simulated clock: uniform, heavy-tail, mobile or csv:PATH (null: no clock; docs/simulated-clock.md).</summary>
    public string? Profiles { get; init; }

    /// <summary>With <see cref="Profiles"/>: simulated seconds a round waits for its clients' updates.</summary>
    public double RoundDeadline { get; init; } = DefaultRoundDeadline;

    /// <summary>A round's simulated deadline unless --round-deadline says otherwise.</summary>
    public const double DefaultRoundDeadline = 120;

    /// <summary>The longest simulated deadline (a year).</summary>
    public const double MaxRoundDeadline = 365 * 86_400;

    /// <summary>"sync" (rounds through the services) or "async" (FedBuff on the simulated clock; docs/fedbuff.md).</summary>
    public string Mode { get; init; } = SyncMode;

    /// <summary>The modes <see cref="Mode"/> takes.</summary>
    public const string SyncMode = "sync", AsyncMode = "async";

    /// <summary>Async: K, accepted updates per new model version (null: <see cref="DefaultBuffer"/>; with DP, a synchronous round's selection).</summary>
    public int? Buffer { get; init; }

    /// <summary>Async: updates more than this many versions behind are dropped (null: none is).</summary>
    public int? MaxStaleness { get; init; }

    /// <summary>Async: clients training at once (null: as many as a synchronous round selects, <see cref="SelectedPerRound"/>).</summary>
    public int? Concurrency { get; init; }

    /// <summary>Async: how an update's staleness weighs it (docs/fedbuff.md; null: polynomial, 1/sqrt(1+s)).</summary>
    public string? Staleness { get; init; }

    /// <summary>FedBuff's K unless --buffer says otherwise (the paper's default).</summary>
    public const int DefaultBuffer = 10;

    /// <summary>The largest --max-staleness; beyond it the limit is no limit.</summary>
    public const int MaxStalenessLimit = 1_000_000;

    /// <remarks>With DP the noise on a version's mean is z C / K: K defaults to as many updates as a synchronous round has, so that it matches DP-FedAvg's (docs/fedbuff.md, "Privacy").</remarks>
    public int EffectiveBuffer => Buffer ?? (DpNoiseMultiplier is not null ? Math.Min(Core.Async.FedBuffBuffer.MaxBufferSize, SelectedPerRound()) : DefaultBuffer);
    public int EffectiveConcurrency => Concurrency ?? SelectedPerRound();

    /// <summary>How the selector picks each round's clients: random, fairness, power-of-choice, deadline or oort (docs/selection.md).</summary>
    public string Selection { get; init; } = Core.Selection.SelectionPolicies.Random;

    /// <summary>Share of extra clients picked each round; the round closes once the clients it needs sent (0: none; docs/selection.md).</summary>
    public double OverSelection { get; init; }

    /// <summary>An update that arrives after its round closed: drop (the default) or fold into the next round with a staleness weight (docs/selection.md).</summary>
    public string LateUpdates { get; init; } = Core.Aggregation.LateUpdatePolicy.Drop;

    /// <summary>Aggregation strategy name (see the aggregation service's catalog).</summary>
    public string Strategy { get; init; } = "fedavg";
    /// <summary>Strategy parameters by name (e.g. "server-lr", "f"), passed to the strategy factory as text.</summary>
    public IReadOnlyDictionary<string, string> StrategyParameters { get; init; } = new Dictionary<string, string>();
    /// <summary>Share of each round's updates a robust strategy tolerates as Byzantine (f, the trim fraction and m follow from it unless given).</summary>
    public double ByzantineShare { get; init; } = Core.Aggregation.Robust.ByzantineTolerance.DefaultShare;
    /// <summary>Simulated attack: sign-flip, scale:K, gaussian:SIGMA or label-flip; null for none.</summary>
    public string? Attack { get; init; }
    /// <summary>Share of clients that attack.</summary>
    public double Attackers { get; init; }
    /// <summary>Stop early once server-side accuracy reaches this (0 = run every round).</summary>
    public double TargetAccuracy { get; init; }
    /// <summary>Client sampling: "fixed" (the fraction of clients, without replacement) or "poisson" (each client with probability fraction).</summary>
    public string Sampling { get; init; } = "fixed";

    /// <summary>Differential privacy on, with this noise multiplier z (null: off). Central DP-FedAvg unless <see cref="DpLocal"/>.</summary>
    public double? DpNoiseMultiplier { get; init; }
    /// <summary>Clip norm C: of each client's update (central; the initial one with <see cref="DpAdaptive"/>) or of each example's gradient (local).</summary>
    public double? DpClip { get; init; }

    /// <summary>Central DP-FedAvg's default clip norm: the server step is at most C, and a smaller step keeps the noise's random walk small (docs/privacy.md, "Why a DP run decays").</summary>
    public const double DefaultCentralClip = 0.5;

    /// <summary>DP-SGD's default per-example gradient clip norm.</summary>
    public const double DefaultLocalClip = 1.0;

    /// <summary>C as given, else the mechanism's default.</summary>
    public double EffectiveDpClip => DpClip ?? (DpLocal ? DefaultLocalClip : DefaultCentralClip);
    /// <summary>Central DP: adapt the clip norm towards <see cref="DpTargetQuantile"/> of the update norms (Andrew et al. 2021).</summary>
    public bool DpAdaptive { get; init; }
    public double DpTargetQuantile { get; init; } = 0.5;
    /// <summary>η_C, the adaptive clip norm's learning rate.</summary>
    public double DpClipLearningRate { get; init; } = 0.2;
    /// <summary>σ_b, the noise on adaptive clipping's count (0: the platform's default).</summary>
    public double DpCountNoise { get; init; }
    /// <summary>The ε budget; required with DP. The task stops before a round would exceed it. Alone (central DP), it sets z: <see cref="WithCalibratedNoise"/>.</summary>
    public double? DpEpsilonBudget { get; init; }
    public double DpDelta { get; init; } = 1e-5;
    /// <summary>Local DP: DP-SGD on the clients (per-example clipping to <see cref="DpClip"/> and noise z) instead of DP-FedAvg at the server.</summary>
    public bool DpLocal { get; init; }

    /// <summary>Secure aggregation: "secagg" or "secagg-plus" (null: plain float32 updates).</summary>
    public string? SecAgg { get; init; }
    /// <summary>With secure aggregation, every coordinate of an update is clipped to [-c, c] before it is masked.</summary>
    public double SecAggClip { get; init; } = 1.0;

    /// <summary>How the virtual clients sign their updates: ecdsa-p256 (the default), ml-dsa-65 or none (docs/signing.md).</summary>
    public string Signing { get; init; } = SigningAlgorithms.EcdsaP256;

    /// <summary>How the clients compress their updates: none (the default), q8, q4, topk:FRACTION, zstd, or a coding +zstd (docs/compression.md).</summary>
    public string Compression { get; init; } = Core.Compression.CompressionSpec.NoneText;

    /// <summary>More configuration for the embedded platform, applied last (e.g. UpdateStream:Transport=Kafka with ConnectionStrings:kafka).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>The task's privacy settings; the noise is seeded from <see cref="Seed"/> so that runs repeat (a simulation, not a deployment).</summary>
    public PrivacyConfig Privacy() => WithSecureAggregation(DpNoiseMultiplier is not { } z
        ? PrivacyConfig.None
        : new PrivacyConfig(true, z, EffectiveDpClip, DpEpsilonBudget ?? 0, DpDelta)
        {
            Mechanism = DpLocal ? PrivacyMechanism.Local : PrivacyMechanism.Central,
            AdaptiveClipping = DpAdaptive,
            TargetQuantile = DpTargetQuantile,
            ClipLearningRate = DpClipLearningRate,
            CountNoiseStd = DpCountNoise,
            NoiseSeed = Seed,
        });

    private PrivacyConfig WithSecureAggregation(PrivacyConfig privacy) => SecAgg is null
        ? privacy
        : privacy with
        {
            SecureAggregation = SecAgg == "secagg-plus" ? SecureAggregationMode.SecAggPlus : SecureAggregationMode.SecAgg,
            SecureAggregationClip = SecAggClip,
        };

    /// <summary>The client sampling <see cref="Sampling"/> names.</summary>
    public ClientSampling SamplingMode() => Sampling == "poisson" ? ClientSampling.Poisson : ClientSampling.Fixed;

    /// <summary>
    /// The fewest clients a round selects: round(fraction clients) with fixed sampling (every simulated client is healthy), the
    /// task's minimum with Poisson sampling.
    /// </summary>
    public int SelectedPerRound()
    {
        var minimum = SecAgg is null ? 1 : 3; // secure aggregation needs at least 3 participants
        if (SamplingMode() == ClientSampling.Poisson || !(Fraction > 0 && Fraction <= 1) || Clients < 1) return minimum;
        return Math.Max(minimum, Core.Selection.UniformSampler.ParticipantCount(Clients, Fraction, 1));
    }

    /// <summary>Generates or reads the data set and splits it over <see cref="Clients"/> clients.</summary>
    public FederatedData LoadData() => FederatedData.Load(Dataset, DataDir, Partition, Clients, Seed, TrainSamples, TestSamples);

    /// <summary>Upper bounds of the counts a simulation takes: beyond them a run would not end in reasonable time or memory.</summary>
    public const int MaxClients = 100_000, MaxRounds = 100_000, MaxLocalEpochs = 10_000, MaxBatchSize = 1_000_000, MaxParallelism = 1_024;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!DatasetSpec.TryParse(Dataset, out _, out var datasetProblem)) problems.Add(datasetProblem!);
        if (Dataset == "mnist" && string.IsNullOrWhiteSpace(DataDir)) problems.Add("--data-dir is required with --dataset mnist (a folder holding the MNIST IDX files)");
        if (Model is not ("logreg" or "mlp" or "cnn")) problems.Add($"--model '{Model}' is unknown (logreg, mlp, cnn)");
        if (Clients is < 1 or > MaxClients) problems.Add($"--clients {Clients} must be between 1 and {MaxClients}");
        if (!(Fraction > 0 && Fraction <= 1)) problems.Add($"--fraction {Fraction} must be in (0, 1]");
        if (Rounds is < 1 or > MaxRounds) problems.Add($"--rounds {Rounds} must be between 1 and {MaxRounds}");
        if (LocalEpochs is < 1 or > MaxLocalEpochs) problems.Add($"--local-epochs {LocalEpochs} must be between 1 and {MaxLocalEpochs}");
        if (BatchSize is < 1 or > MaxBatchSize) problems.Add($"--batch-size {BatchSize} must be between 1 and {MaxBatchSize}");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) problems.Add($"--lr {LearningRate} must be a positive number");
        if (Partition is not null)
        {
            try { Core.Data.PartitionerFactory.Parse(Partition); }
            catch (ArgumentException e) { problems.Add($"--partition: {e.Message}"); }
        }
        if (TrainSamples < 0) problems.Add($"--train-samples {TrainSamples} must be zero (all) or positive");
        if (TestSamples < 0) problems.Add($"--test-samples {TestSamples} must be zero (all) or positive");
        if (Parallelism is < 1 or > MaxParallelism) problems.Add($"--parallelism {Parallelism} must be between 1 and {MaxParallelism}");
        if (!(DropoutRate >= 0 && DropoutRate < 1)) problems.Add($"--dropout {DropoutRate} must be in [0, 1)");
        if (!(TargetAccuracy >= 0 && TargetAccuracy <= 1)) problems.Add($"--target-accuracy {TargetAccuracy} must be in [0, 1]");
        if (string.IsNullOrWhiteSpace(OutDir)) problems.Add("--out must name a folder");
        if (Sampling is not ("fixed" or "poisson")) problems.Add($"--sampling '{Sampling}' is unknown (fixed, poisson)");
        if (RoundTimeout <= TimeSpan.Zero) problems.Add("--round-timeout must be a number of seconds greater than 0 and below 86400");
        ValidateClock(problems);
        ValidateMode(problems);
        if (!Core.Selection.SelectionPolicies.Names.Contains(Selection))
            problems.Add($"--selection '{Selection}' is unknown ({string.Join(", ", Core.Selection.SelectionPolicies.Names)})");
        else if (Selection != Core.Selection.SelectionPolicies.Random && Sampling == "poisson")
            problems.Add($"--selection {Selection} cannot be combined with --sampling poisson (each client is drawn independently there)");
        else if (Selection != Core.Selection.SelectionPolicies.Random && DpNoiseMultiplier is not null && !DpLocal)
            problems.Add($"--selection {Selection} cannot be combined with central DP: the accountant's amplification by subsampling holds only for a random selection");
        if (!(OverSelection >= 0 && OverSelection <= 1))
            problems.Add(FormattableString.Invariant($"--over-selection {OverSelection} must be a share from 0 (none) to 1 (twice the clients a round needs)"));
        else if (OverSelection > 0 && Sampling == "poisson") problems.Add("--over-selection cannot be combined with --sampling poisson");
        else if (OverSelection > 0 && DpNoiseMultiplier is not null && !DpLocal)
            problems.Add("--over-selection cannot be combined with central DP: the first updates to arrive are not a random sample");
        else if (OverSelection > 0 && SecAgg is not null) problems.Add("--over-selection cannot be combined with --secagg: its protocol counts on every client it admitted");
        var centralDp = ValidatePrivacy(problems);
        if (!Core.Aggregation.LateUpdatePolicy.IsKnown(LateUpdates))
            problems.Add($"--late-updates '{LateUpdates}' is unknown ({string.Join(", ", Core.Aggregation.LateUpdatePolicy.Names)})");
        else
            foreach (var problem in Core.Aggregation.LateUpdatePolicy.Problems(LateUpdates, Strategy, Sampling == "poisson",
                         (DpNoiseMultiplier is not null || DpEpsilonBudget is not null) && !DpLocal, SecAgg is not null))
                problems.Add($"--late-updates {LateUpdates} {problem}");
        if (SecAgg is not (null or "secagg" or "secagg-plus")) problems.Add($"--secagg '{SecAgg}' is unknown (secagg, secagg-plus)");
        if (!SigningAlgorithms.IsKnown(Signing))
            problems.Add($"--signing '{Signing}' is unknown ({SigningAlgorithms.EcdsaP256}, {SigningAlgorithms.MlDsa65}, {SigningAlgorithms.None})");
        if (SecAgg is not null && (!(SecAggClip > 0) || !double.IsFinite(SecAggClip))) problems.Add($"--secagg-clip {SecAggClip} must be a finite number greater than 0");
        if (SecAgg is not null && centralDp is not null) problems.Add("--secagg cannot be combined with central DP (use --dp-local)");
        if (Mode != AsyncMode)
        {
            ValidatePlan(centralDp, problems);
            if (Core.Compression.CompressionRules.Problem(Compression, Privacy(), Strategy) is { } compression) problems.Add($"--compression: {compression}");
            ValidateRobustness(problems);
        }
        if (Attack is not null)
        {
            try { AttackSpec.Parse(Attack); }
            catch (ArgumentException e) { problems.Add($"--attack: {e.Message}"); }
        }
        if (!(Attackers >= 0 && Attackers < 1)) problems.Add($"--attackers {Attackers} must be in [0, 1)");
        if (Attackers > 0 && Attack is null) problems.Add("--attackers needs --attack to say what the attackers do");
        return problems;
    }

    /// <summary>Adds the problems of --profiles (a CSV file is read here, so that its bad rows are named before the run) and --round-deadline.</summary>
    private void ValidateClock(List<string> problems)
    {
        if (!(RoundDeadline > 0 && RoundDeadline <= MaxRoundDeadline))
            problems.Add(FormattableString.Invariant($"--round-deadline {RoundDeadline} must be a number of simulated seconds greater than 0 and at most {MaxRoundDeadline}"));
        if (Profiles is null) return;
        if (Clock.DeviceProfiles.Problem(Profiles) is { } problem)
        {
            problems.Add(problem);
            return;
        }
        if (SecAgg is not null) problems.Add("--profiles cannot be combined with --secagg yet: a secure round's protocol does not model stragglers");
        if (Clients is >= 1 and <= MaxClients && Profiles.StartsWith("csv:", StringComparison.Ordinal))
        {
            try { Clock.DeviceProfiles.Create(Profiles, Clients, Seed); }
            catch (ArgumentException e) { problems.Add(e.Message.Split(" (Parameter")[0]); }
        }
    }

    /// <summary>Adds the problems of --mode and its async options, and refuses what async mode does not support yet (docs/fedbuff.md).</summary>
    private void ValidateMode(List<string> problems)
    {
        if (Mode is not (SyncMode or AsyncMode))
        {
            problems.Add($"--mode '{Mode}' is unknown ({SyncMode}, {AsyncMode})");
            return;
        }
        if (Mode == SyncMode)
        {
            foreach (var (given, flag) in new[] { (Buffer is not null, "--buffer"), (MaxStaleness is not null, "--max-staleness"), (Concurrency is not null, "--concurrency"), (Staleness is not null, "--staleness") })
                if (given) problems.Add($"{flag} applies to --mode async only");
            return;
        }
        var maxBuffer = Math.Min(Core.Async.FedBuffBuffer.MaxBufferSize, MaxClients);
        if (Buffer is { } k && (k < 1 || k > maxBuffer)) problems.Add($"--buffer {k} must be between 1 and {maxBuffer}");
        if (MaxStaleness is { } s && (s < 0 || s > MaxStalenessLimit)) problems.Add($"--max-staleness {s} must be between 0 and {MaxStalenessLimit} versions");
        if (Concurrency is { } c && (c < 1 || c > Clients)) problems.Add($"--concurrency {c} must be between 1 and --clients ({Clients})");
        if (Staleness is not null)
        {
            try { Core.Async.StalenessWeightings.Create(Staleness); }
            catch (ArgumentException e) { problems.Add($"--staleness: {e.Message.Split(" (Parameter")[0]}"); }
        }
        if (!(AsyncServerLearningRate > 0) || !double.IsFinite(AsyncServerLearningRate)) problems.Add($"--server-lr {AsyncServerLearningRate} must be a finite number greater than 0");
        const string refused = "cannot be combined with --mode async yet";
        if (SecAgg is not null) problems.Add($"--secagg {refused}: a secure round's masks cancel only in the sum of one fixed set of clients, and FedBuff's buffer mixes clients trained on different versions");
        if (DpLocal) problems.Add($"--dp-local {refused}: async mode has central DP (docs/fedbuff.md, \"Privacy\")");
        else if (DpNoiseMultiplier is null && DpEpsilonBudget is not null)
            problems.Add("--mode async needs --dp-noise-multiplier with --dp-epsilon-budget: z cannot be calibrated in advance, since how many versions a client joins depends on its device");
        else if (DpNoiseMultiplier is { } z && z > 0 && double.IsFinite(z) && DpEpsilonBudget is { } budget && budget > 0 && double.IsFinite(budget)
            && DpDelta > 0 && DpDelta < 1 && new Core.Privacy.ParticipationAccountant(z).MaxParticipationsWithin(budget, DpDelta) == 0)
            problems.Add(FormattableString.Invariant(
                $"--dp-epsilon-budget {budget} is below what one version spends at --dp-noise-multiplier {z} (ε = {new Core.Privacy.ParticipationAccountant(z).EpsilonAfter(1, DpDelta).Epsilon:G4} at --dp-delta {DpDelta}): no client could contribute"));
        if (DpAdaptive) problems.Add($"--dp-adaptive {refused}: the clip norm is fixed");
        if (Strategy != "fedavg") problems.Add($"--strategy {Strategy} {refused}: FedBuff's server step is the staleness-weighted mean times --server-lr");
        foreach (var parameter in StrategyParameters.Keys.Where(k => k != "server-lr")) problems.Add($"the strategy parameter '{parameter}' {refused}");
        if (Attack is not null) problems.Add($"--attack {refused}");
        if (Selection != Core.Selection.SelectionPolicies.Random) problems.Add($"--selection {Selection} {refused}: a free slot goes to an idle client drawn at random");
        if (Sampling != "fixed") problems.Add($"--sampling {Sampling} {refused}: --concurrency says how many clients train at once");
        if (DropoutRate > 0) problems.Add($"--dropout {refused}: the device profiles' failure probability drops clients");
        if (Compression != Core.Compression.CompressionSpec.NoneText) problems.Add($"--compression {Compression} {refused}: the async simulation sends float32 updates");
        if (OverSelection > 0) problems.Add($"--over-selection {refused}: there are no rounds to close early; --concurrency says how many clients train at once");
        if (LateUpdates != Core.Aggregation.LateUpdatePolicy.Drop) problems.Add($"--late-updates {LateUpdates} {refused}: FedBuff folds every update by its staleness already");
    }

    /// <summary>Async: FedBuff's server learning rate η_g, from --server-lr (default 1: the model moves by the weighted mean).</summary>
    public double AsyncServerLearningRate => StrategyParameters.TryGetValue("server-lr", out var text)
        ? double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var lr) ? lr : double.NaN
        : 1.0;

    /// <summary>Adds what keeps the task's rounds from being planned: the strategy and its parameters, --mu, central DP around the strategy.</summary>
    private void ValidatePlan(double? centralDp, List<string> problems)
    {
        Core.Aggregation.IAggregationStrategy strategy;
        try { strategy = Core.Aggregation.StrategyCatalog.Create(Strategy, StrategyParameters); }
        catch (ArgumentException e)
        {
            problems.Add($"--strategy: {e.Message}");
            return;
        }
        Contracts.V1.RoundSettings settings;
        try { settings = Core.Planning.RoundPlanner.Configure(strategy, ProximalMu, Core.Planning.RoundPlanner.Nominal); }
        catch (ArgumentException e)
        {
            problems.Add($"--mu {ProximalMu}: {e.Message}");
            return;
        }
        if (!settings.ControlVariates && StrategyParameters.ContainsKey(Core.Aggregation.Scaffold.WeightingParameter))
            problems.Add($"--scaffold-weighting applies to --strategy scaffold only, not '{Strategy}'");
        if (centralDp is not { } z) return;
        var dp = new Contracts.V1.CentralDpSettings(z, EffectiveDpClip, DpAdaptive, DpTargetQuantile, DpClipLearningRate, DpCountNoise != 0 ? DpCountNoise : null);
        try { Core.Aggregation.StrategyCatalog.Create(Strategy, StrategyParameters, settings: settings with { CentralDp = dp }); }
        catch (ArgumentException e) { problems.Add($"--strategy: {e.Message}"); }
    }

    /// <summary>μ of the clients' proximal term that --mu ("mu") asks for, with any strategy; 0 when not given (FedProx then plans its default).</summary>
    public double ProximalMu => StrategyParameters.TryGetValue("mu", out var text)
        && double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var mu) ? mu : 0;

    /// <summary>Adds the problems of --byzantine-share, and of a robust strategy that cannot aggregate the smallest round this run may have.</summary>
    private void ValidateRobustness(List<string> problems)
    {
        if (!Core.Aggregation.Robust.ByzantineTolerance.IsValidShare(ByzantineShare))
        {
            problems.Add(FormattableString.Invariant($"--byzantine-share {ByzantineShare} must be in [0, 0.5): a majority of every round must be honest"));
            return;
        }
        if (!Core.Aggregation.Robust.RobustStrategies.IsRobust(Strategy)) return;
        Core.Aggregation.IAggregationStrategy strategy;
        try { strategy = Core.Aggregation.Robust.RobustStrategies.Create(Strategy, StrategyParameters, ByzantineShare); }
        catch (ArgumentException) { return; } // reported under --strategy
        var selected = SelectedPerRound();
        var smallest = Core.Aggregation.QuorumRule.Needed(selected, Quorum);
        if (Core.Aggregation.Robust.RobustStrategies.RoundSizeProblem(strategy, smallest) is { } problem)
            problems.Add(FormattableString.Invariant(
                $"--strategy {Strategy}: {problem} ({selected} clients selected per round, quorum {Quorum}); give more --clients or a larger --fraction, or a smaller --byzantine-share or --byzantine"));
    }

    /// <summary>ε of one round at sampling rate <see cref="Fraction"/> (infinite when z is too small for any guarantee).</summary>
    private double OneRoundEpsilon(double z)
    {
        try
        {
            var accountant = new Core.Privacy.RdpAccountant();
            accountant.Step(z, Fraction, 1);
            return accountant.GetEpsilon(DpDelta).Epsilon;
        }
        catch (InvalidOperationException) { return double.PositiveInfinity; } // the RDP series breaks down for such a z

    }

    /// <summary>
    /// Central DP given a budget and no noise multiplier: these options with the smallest z for which <see cref="Rounds"/>
    /// rounds at sampling rate <see cref="Fraction"/> spend at most the budget (docs/privacy.md, "Choosing z"). Null, with
    /// no problem, when there is nothing to calibrate; null with the problem when the budget cannot be met.
    /// </summary>
    public SimulationOptions? WithCalibratedNoise(out string? problem)
    {
        problem = null;
        if (DpNoiseMultiplier is not null || DpEpsilonBudget is not { } budget || DpLocal) return null;
        if (!(budget > 0) || !double.IsFinite(budget) || !(DpDelta > 0 && DpDelta < 1) || !(Fraction > 0 && Fraction <= 1) || Rounds < 1 || Rounds > MaxRounds)
            return null; // Validate names the bad value
        try
        {
            var z = Core.Privacy.NoiseCalibrator.FindNoiseMultiplier(budget, Fraction, Rounds, DpDelta);
            return this with { DpNoiseMultiplier = z, DpNoiseCalibrated = true };
        }
        catch (ArgumentOutOfRangeException e)
        {
            problem = $"--dp-epsilon-budget {budget}: no noise multiplier spends at most that over {Rounds} rounds at sampling rate {Fraction} and --dp-delta {DpDelta} ({e.Message.Split(" (Parameter")[0]})";
            return null;
        }
    }

    /// <summary>True when <see cref="DpNoiseMultiplier"/> was calibrated from the budget rather than given.</summary>
    public bool DpNoiseCalibrated { get; init; }

    /// <summary>Adds the problems of the DP options; returns z when central DP is on and its settings are valid.</summary>
    private double? ValidatePrivacy(List<string> problems)
    {
        if (DpNoiseMultiplier is not { } z)
        {
            if (DpLocal) problems.Add("--dp-local needs --dp-noise-multiplier");
            if (DpEpsilonBudget is { } alone && !DpLocal)
            {
                // Central DP from the budget alone: z is calibrated (WithCalibratedNoise) once these values are valid.
                if (!(alone > 0) || !double.IsFinite(alone)) problems.Add($"--dp-epsilon-budget {alone} must be a finite number greater than 0");
                if (!(DpDelta > 0 && DpDelta < 1)) problems.Add($"--dp-delta {DpDelta} must be in (0, 1)");
                return null;
            }
            if (DpAdaptive) problems.Add("--dp-adaptive needs --dp-noise-multiplier or --dp-epsilon-budget");
            return null;
        }
        var before = problems.Count;
        if (!(z > 0) || !double.IsFinite(z)) problems.Add($"--dp-noise-multiplier {z} must be a finite number greater than 0");
        else if (DpDelta > 0 && DpDelta < 1 && Fraction > 0 && Fraction <= 1 && double.IsPositiveInfinity(OneRoundEpsilon(z)))
            problems.Add($"--dp-noise-multiplier {z} is too small: one round would spend an infinite ε at --dp-delta {DpDelta}");
        if (!(EffectiveDpClip > 0) || !double.IsFinite(EffectiveDpClip)) problems.Add($"--dp-clip {EffectiveDpClip} must be a finite number greater than 0");
        if (DpEpsilonBudget is not { } budget) problems.Add("--dp-epsilon-budget is required with --dp-noise-multiplier");
        else if (!(budget > 0) || !double.IsFinite(budget)) problems.Add($"--dp-epsilon-budget {budget} must be a finite number greater than 0");
        if (!(DpDelta > 0 && DpDelta < 1)) problems.Add($"--dp-delta {DpDelta} must be in (0, 1)");
        if (DpAdaptive)
        {
            if (DpLocal) problems.Add("--dp-adaptive applies to central DP only, not with --dp-local");
            if (!(DpTargetQuantile >= 0 && DpTargetQuantile <= 1)) problems.Add($"--dp-target-quantile {DpTargetQuantile} must be in [0, 1]");
            if (!(DpClipLearningRate > 0) || !double.IsFinite(DpClipLearningRate)) problems.Add($"--dp-clip-lr {DpClipLearningRate} must be a finite number greater than 0");
            if (!(DpCountNoise >= 0) || !double.IsFinite(DpCountNoise)) problems.Add($"--dp-count-noise {DpCountNoise} must be 0 (default) or positive");
            else if (DpCountNoise > 0 && !(2 * DpCountNoise > z)) problems.Add($"--dp-count-noise {DpCountNoise} must exceed half the noise multiplier ({z / 2})");
        }
        return problems.Count == before && !DpLocal ? z : null;
    }
}
