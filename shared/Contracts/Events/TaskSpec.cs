using System.Text.Json.Serialization;

namespace FlMicroservices.Contracts.V1;

/// <summary>Everything that defines a federated training task: model, rounds, participation, local training, privacy.</summary>
public sealed record TaskSpec
{
    public required string ModelName { get; init; }
    public required int[] SampleShape { get; init; }
    public required int ClassCount { get; init; }
    public required int Rounds { get; init; }
    /// <summary>Share of healthy clients sampled per round (McMahan's C); at least <see cref="MinClientsPerRound"/> are taken.</summary>
    /// <remarks>With <see cref="ClientSampling.Poisson"/> it is each client's probability of being sampled.</remarks>
    public double ClientFraction { get; init; } = 0.1;
    /// <summary>How the selector samples a round's clients (optional; fixed-size by default).</summary>
    public ClientSampling Sampling { get; init; } = ClientSampling.Fixed;
    public int MinClientsPerRound { get; init; } = 1;
    /// <summary>Smallest share of the selected clients whose updates must arrive for the round to aggregate.</summary>
    public double Quorum { get; init; } = 0.5;
    public TimeSpan RoundTimeout { get; init; } = TimeSpan.FromMinutes(10);
    public required TrainingConfig Training { get; init; }
    public PrivacyConfig Privacy { get; init; } = PrivacyConfig.None;
    public string Strategy { get; init; } = "fedavg";
    /// <summary>The strategy's parameters by name (e.g. "server-lr", "f"), as invariant-culture text.</summary>
    public Dictionary<string, string> StrategyParameters { get; init; } = [];
    /// <summary>A new model whose validation accuracy falls more than this below the best so far is rolled back (docs/model-lifecycle.md).</summary>
    public double RollbackThreshold { get; init; } = 0.2;
    /// <summary>Elements per update slice on the update stream (4 bytes each; 65,536 = 256 KiB).</summary>
    public int SliceElements { get; init; } = 65_536;
    public int Seed { get; init; } = 1;

    /// <summary>The held-out data the model registry evaluates every model on; null: rounds complete unevaluated (RoundCompleted.Evaluated false).</summary>
    public ValidationData? Validation { get; init; }

    /// <summary>The data set clients must hold (e.g. "mnist"); null: derived from <see cref="Validation"/>, else any data set of the task's shape and classes.</summary>
    public string? Dataset { get; init; }

    /// <summary>Share of each round's updates a robust strategy must tolerate as Byzantine, in [0, 0.5); f, the trim fraction and Multi-Krum's m follow from it unless given.</summary>
    public double ByzantineShare { get; init; } = 0.2;

    /// <summary>After this many versions in a row more than <see cref="RollbackMargin"/> below the best, the task continues from the best (0: never).</summary>
    public int RollbackWindow { get; init; } = 5;

    /// <summary>How far below the best validated accuracy a version counts as degraded.</summary>
    public double RollbackMargin { get; init; } = 0.02;

    /// <summary>After this many rollbacks in a row the task stops on its best version (0: never).</summary>
    public int MaxRollbacksInARow { get; init; } = 5;

    /// <summary>How clients sign their updates: "ecdsa-p256" (the default), "ml-dsa-65" (post-quantum) or "none" (docs/signing.md).</summary>
    public string Signing { get; init; } = SigningAlgorithms.EcdsaP256;

    /// <summary>How the selector picks among the healthy clients: "random" (the default), "fairness", "power-of-choice", "deadline" or "oort" (docs/selection.md).</summary>
    public string Selection { get; init; } = "random";

    /// <summary>
    /// Over-selection: the selector picks this share more clients than the round needs, and the aggregation closes the round as soon
    /// as the needed number of complete updates arrived (0, the default: none; at most 1, twice as many). What happens to the updates that
    /// arrive after it closed is <see cref="LateUpdates"/>.
    /// </summary>
    public double OverSelection { get; init; }

    /// <summary>
    /// An update that arrives after its round closed: "drop" (the default) or "fold" into the next round with the staleness weight
    /// 1/sqrt(2) (docs/selection.md, "Late updates").
    /// </summary>
    public string LateUpdates { get; init; } = "drop";

    /// <summary>How clients compress their updates: "none" (the default), "q8", "q4", "topk:FRACTION", "zstd", or a coding "+zstd" (docs/compression.md).</summary>
    public string Compression { get; init; } = "none";
}

/// <summary>Local training settings a node applies when selected.</summary>
public sealed record TrainingConfig(
    int LocalEpochs,
    int BatchSize,
    double LearningRate,
    double ProximalMu = 0);

/// <summary>Privacy settings of a task; <see cref="None"/> means no differential privacy (the budget is enforced only when <see cref="Enabled"/>).</summary>
/// <param name="Enabled">Differential privacy on: the task stops before a round would take the spent ε past <paramref name="EpsilonBudget"/>.</param>
/// <param name="NoiseMultiplier">z: noise standard deviation over the L2 sensitivity (the clip norm), for the mechanism <see cref="Mechanism"/> names.</param>
/// <param name="ClippingNorm">C: with <see cref="PrivacyMechanism.Central"/> the clip norm of each client's update (the initial one with
/// <see cref="AdaptiveClipping"/>); with <see cref="PrivacyMechanism.Local"/> the clip norm of each example's gradient.</param>
/// <param name="EpsilonBudget">The most ε the task may spend, at <paramref name="Delta"/>.</param>
/// <param name="Delta">δ of the (ε, δ) guarantee, in (0, 1).</param>
/// <remarks>The properties after the positional ones are optional (added in a backward-compatible way: absent fields take their defaults).</remarks>
public sealed record PrivacyConfig(
    bool Enabled,
    double NoiseMultiplier,
    double ClippingNorm,
    double EpsilonBudget,
    double Delta)
{
    public static PrivacyConfig None { get; } = new(false, 0, 0, 0, 0);

    /// <summary>
    /// Where the noise is added: <see cref="PrivacyMechanism.Central"/> (DP-FedAvg at the server: client-level DP, the
    /// default) or <see cref="PrivacyMechanism.Local"/> (DP-SGD on each node: example-level DP of each client's data).
    /// </summary>
    public PrivacyMechanism Mechanism { get; init; } = PrivacyMechanism.Central;

    /// <summary>Central only: adapt the clip norm each round towards <see cref="TargetQuantile"/> of the update norms (Andrew et al. 2021).</summary>
    public bool AdaptiveClipping { get; init; }

    /// <summary>γ ∈ [0, 1]: the quantile of the update norms adaptive clipping aims for.</summary>
    public double TargetQuantile { get; init; } = 0.5;

    /// <summary>η_C &gt; 0: the geometric learning rate of the adaptive clip norm.</summary>
    public double ClipLearningRate { get; init; } = 0.2;

    /// <summary>σ_b: the noise on adaptive clipping's count of unclipped clients; 0 for the platform's default (max(m/20, z)).</summary>
    public double CountNoiseStd { get; init; }

    /// <summary>
    /// Makes every noise draw reproducible from this seed: for simulations and tests only, because anyone who knows the seed
    /// can subtract the noise. Null (the default) draws the noise from the operating system's CSPRNG.
    /// </summary>
    public long? NoiseSeed { get; init; }

    /// <summary>
    /// Secure aggregation (Bonawitz et al. 2017; SecAgg+ of Bell et al. 2020): the nodes mask their updates so that the
    /// aggregation service only ever holds masked values and the sum. <see cref="SecureAggregationMode.None"/> (the default)
    /// streams plain float32 updates. Independent of <see cref="Enabled"/> (which is about differential privacy).
    /// </summary>
    public SecureAggregationMode SecureAggregation { get; init; } = SecureAggregationMode.None;

    /// <summary>c &gt; 0: with secure aggregation every coordinate of an update is clipped to [−c, c] before it is quantised.</summary>
    public double SecureAggregationClip { get; init; }

    /// <summary>t: shares needed to unmask a client's input; null for a strict majority of each secret's k + 1 holders.</summary>
    public int? SecureAggregationThreshold { get; init; }

    /// <summary>SecAgg+ only, k: neighbours per client; null for 2⌈log2 n⌉.</summary>
    public int? SecureAggregationDegree { get; init; }

    /// <summary>True when the task's updates are securely aggregated.</summary>
    [JsonIgnore]
    public bool IsSecureAggregation => SecureAggregation is SecureAggregationMode.SecAgg or SecureAggregationMode.SecAggPlus;
}

/// <summary>Whether and how a task's updates are securely aggregated.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SecureAggregationMode>))]
public enum SecureAggregationMode
{
    /// <summary>Plain float32 updates on the update stream.</summary>
    None,

    /// <summary>SecAgg: every pair of participants shares a mask (the complete graph).</summary>
    SecAgg,

    /// <summary>SecAgg+: pairwise masks along a random sparse (Harary) graph of degree about 2 log2 n.</summary>
    SecAggPlus,
}

/// <summary>Where a task's differential-privacy noise is added.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PrivacyMechanism>))]
public enum PrivacyMechanism
{
    /// <summary>DP-FedAvg (McMahan et al. 2018): the server clips each client's update and noises the sum; client-level DP.</summary>
    Central,

    /// <summary>DP-SGD (Abadi et al. 2016) on each node: per-example clipping and noise in every local step; example-level DP.</summary>
    Local,
}

/// <summary>How the selector samples a round's participants from the healthy clients.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ClientSampling>))]
public enum ClientSampling
{
    /// <summary>max(<see cref="TaskSpec.MinClientsPerRound"/>, round(fraction × healthy)) clients, uniformly without replacement.</summary>
    Fixed,

    /// <summary>Each healthy client independently with probability <see cref="TaskSpec.ClientFraction"/> (the sampling the privacy accountant assumes).</summary>
    Poisson,
}
