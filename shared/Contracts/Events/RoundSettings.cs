namespace FlMicroservices.Contracts.V1;

/// <summary>What a round's strategy asks of the services and nodes, planned once by the selector (docs/architecture.md, "The round plan").</summary>
/// <param name="ProximalMu">μ of the proximal term the clients add to their local loss (FedProx); 0 for none.</param>
/// <param name="TotalClients">SCAFFOLD's N: the number of clients the participants were sampled from; null for other strategies.</param>
/// <param name="ControlVariates">True when the stored model is [x ; c], the weights followed by SCAFFOLD's server control variate.</param>
/// <param name="WholeUpdateNorms">True when the aggregation scales each update by its whole L2 norm (norm bounding, DP-FedAvg), which no single shard holds.</param>
/// <param name="CentralDp">The server's DP-FedAvg settings; null when the round is not privatized at the server.</param>
/// <param name="Signing">The algorithm every update of the round must be signed with (<see cref="SigningAlgorithms"/>); null or "none": unsigned.</param>
/// <param name="TargetUpdates">Over-selection: the complete updates after which the aggregation closes the round, fewer than the participants; null: it waits for every participant.</param>
/// <param name="Compression">How clients compress their update slices (<see cref="TaskSpec.Compression"/>, docs/compression.md); null or "none": plain float32.</param>
/// <param name="LateUpdates">"fold": an update that arrives after the round closed is folded into the next one with a staleness weight (<see cref="TaskSpec.LateUpdates"/>); null or "drop": dropped.</param>
public sealed record RoundSettings(
    double ProximalMu = 0,
    int? TotalClients = null,
    bool ControlVariates = false,
    bool WholeUpdateNorms = false,
    CentralDpSettings? CentralDp = null,
    string? Signing = null,
    int? TargetUpdates = null,
    string? Compression = null,
    string? LateUpdates = null)
{
    /// <summary>A plain round: no proximal term, no control variates, no server-side privacy.</summary>
    public static RoundSettings None { get; } = new();
}

/// <summary>DP-FedAvg at the server for one round (McMahan et al. 2018), derived from the task's <see cref="PrivacyConfig"/>.</summary>
/// <param name="NoiseMultiplier">z.</param>
/// <param name="ClipNorm">C, or the initial C with <paramref name="Adaptive"/>.</param>
/// <param name="Adaptive">Adapt the clip norm towards <paramref name="TargetQuantile"/> of the update norms.</param>
/// <param name="TargetQuantile">γ, adaptive clipping only.</param>
/// <param name="ClipLearningRate">η_C, adaptive clipping only.</param>
/// <param name="CountNoiseStd">σ_b, adaptive clipping only; null for the platform's default.</param>
/// <param name="ExpectedClients">m, the expected number of clients per round that the noised sum is divided by (fixed at the task's first round).</param>
/// <param name="Seed">Reproducible noise for simulations and tests; null draws from the operating system's CSPRNG.</param>
public sealed record CentralDpSettings(
    double NoiseMultiplier,
    double ClipNorm,
    bool Adaptive = false,
    double TargetQuantile = 0.5,
    double ClipLearningRate = 0.2,
    double? CountNoiseStd = null,
    double? ExpectedClients = null,
    long? Seed = null);
