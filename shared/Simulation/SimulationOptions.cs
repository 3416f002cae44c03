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
    /// <summary>Aggregation strategy name (see the aggregation service's catalog).</summary>
    public string Strategy { get; init; } = "fedavg";
    /// <summary>Strategy parameters by name (e.g. "server-lr", "f"), passed to the strategy factory as text.</summary>
    public IReadOnlyDictionary<string, string> StrategyParameters { get; init; } = new Dictionary<string, string>();
    /// <summary>Simulated attack: sign-flip, scale:K, gaussian:SIGMA or label-flip; null for none.</summary>
    public string? Attack { get; init; }
    /// <summary>Share of clients that attack.</summary>
    public double Attackers { get; init; }
    /// <summary>Stop early once server-side accuracy reaches this (0 = run every round).</summary>
    public double TargetAccuracy { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!DatasetSpec.TryParse(Dataset, out _, out var datasetProblem)) problems.Add(datasetProblem!);
        if (Dataset == "mnist" && string.IsNullOrWhiteSpace(DataDir)) problems.Add("--data-dir is required with --dataset mnist (a folder holding the MNIST IDX files)");
        if (Model is not ("logreg" or "mlp" or "cnn")) problems.Add($"--model '{Model}' is unknown (logreg, mlp, cnn)");
        if (Clients < 1) problems.Add($"--clients {Clients} must be at least 1");
        if (!(Fraction > 0 && Fraction <= 1)) problems.Add($"--fraction {Fraction} must be in (0, 1]");
        if (Rounds < 1) problems.Add($"--rounds {Rounds} must be at least 1");
        if (LocalEpochs < 1) problems.Add($"--local-epochs {LocalEpochs} must be at least 1");
        if (BatchSize < 1) problems.Add($"--batch-size {BatchSize} must be at least 1");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) problems.Add($"--lr {LearningRate} must be a positive number");
        if (Partition is not null)
        {
            try { Core.Data.PartitionerFactory.Parse(Partition); }
            catch (ArgumentException e) { problems.Add($"--partition: {e.Message}"); }
        }
        if (TrainSamples < 0) problems.Add($"--train-samples {TrainSamples} must be zero (all) or positive");
        if (TestSamples < 0) problems.Add($"--test-samples {TestSamples} must be zero (all) or positive");
        if (Parallelism < 1) problems.Add($"--parallelism {Parallelism} must be at least 1");
        if (!(DropoutRate >= 0 && DropoutRate < 1)) problems.Add($"--dropout {DropoutRate} must be in [0, 1)");
        if (!(TargetAccuracy >= 0 && TargetAccuracy <= 1)) problems.Add($"--target-accuracy {TargetAccuracy} must be in [0, 1]");
        if (string.IsNullOrWhiteSpace(OutDir)) problems.Add("--out must name a folder");
        try { Core.Aggregation.StrategyCatalog.Create(Strategy, StrategyParameters); }
        catch (ArgumentException e) { problems.Add($"--strategy: {e.Message}"); }
        if (Attack is not null)
        {
            try { Core.Attacks.AttackSpec.Parse(Attack); }
            catch (ArgumentException e) { problems.Add($"--attack: {e.Message}"); }
        }
        if (!(Attackers >= 0 && Attackers < 1)) problems.Add($"--attackers {Attackers} must be in [0, 1)");
        if (Attackers > 0 && Attack is null) problems.Add("--attackers needs --attack to say what the attackers do");
        return problems;
    }
}
