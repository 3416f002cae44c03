namespace FlMicroservices.Contracts.V1;

/// <summary>Everything that defines a federated training task: model, rounds, participation, local training, privacy.</summary>
public sealed record TaskSpec
{
    public required string ModelName { get; init; }
    public required int[] SampleShape { get; init; }
    public required int ClassCount { get; init; }
    public required int Rounds { get; init; }
    /// <summary>Share of healthy clients sampled per round (McMahan's C); at least <see cref="MinClientsPerRound"/> are taken.</summary>
    public double ClientFraction { get; init; } = 0.1;
    public int MinClientsPerRound { get; init; } = 1;
    /// <summary>Smallest share of the selected clients whose updates must arrive for the round to aggregate.</summary>
    public double Quorum { get; init; } = 0.5;
    public TimeSpan RoundTimeout { get; init; } = TimeSpan.FromMinutes(10);
    public required TrainingConfig Training { get; init; }
    public PrivacyConfig Privacy { get; init; } = PrivacyConfig.None;
    public string Strategy { get; init; } = "fedavg";
    /// <summary>The strategy's parameters by name (e.g. "server-lr", "f"), as invariant-culture text.</summary>
    public Dictionary<string, string> StrategyParameters { get; init; } = [];
    /// <summary>A new model whose validation accuracy falls more than this below the best so far is rolled back.</summary>
    public double RollbackThreshold { get; init; } = 0.2;
    /// <summary>Elements per update slice on the update stream (4 bytes each; 65,536 = 256 KiB).</summary>
    public int SliceElements { get; init; } = 65_536;
    public int Seed { get; init; } = 1;
}

/// <summary>Local training settings a node applies when selected.</summary>
public sealed record TrainingConfig(
    int LocalEpochs,
    int BatchSize,
    double LearningRate,
    double ProximalMu = 0);

/// <summary>Privacy settings of a task; <see cref="None"/> means no differential privacy (the budget is enforced only when <see cref="Enabled"/>).</summary>
public sealed record PrivacyConfig(
    bool Enabled,
    double NoiseMultiplier,
    double ClippingNorm,
    double EpsilonBudget,
    double Delta)
{
    public static PrivacyConfig None { get; } = new(false, 0, 0, 0, 0);
}
