namespace FlMicroservices.Contracts.V1;

// Aggregation sharded by slice across instances (Aggregation:ShardCount > 1): instance k holds the slices whose index is
// k modulo the shard count. Instance 0 coordinates: it combines the reports, decides who is in the round (and, for Krum,
// Multi-Krum and Bulyan, whom to select) and assembles the next model from every instance's slices of it. Internal to the
// aggregation service: other services never see these, only the RoundAggregated the coordinator publishes.

/// <summary>What one shard saw of one client: its slices folded there, their checksums and their partial sum of squares.</summary>
/// <param name="Rejection">Why this shard rejected the client (null: it did not).</param>
public sealed record ShardClientState(
    string ClientId,
    int[] SliceIndexes,
    uint[] Checksums,
    double SumOfSquares,
    string? Rejection);

/// <summary>Shard → coordinator: a shard closed its part of a round.</summary>
/// <param name="DistanceClients">Distance-based strategies: the clients of <paramref name="SquaredDistances"/> (ordinal order).</param>
/// <param name="SquaredDistances">Row-major n × n partial squared distances over the shard's slices; never an update.</param>
/// <param name="IssuerSignature">The aggregation service's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record ShardRoundReported(
    string TaskId,
    int Round,
    int Shard,
    int ShardCount,
    ShardClientState[] Clients,
    string[]? DistanceClients,
    double[]? SquaredDistances,
    string? IssuerSignature = null);

/// <summary>Coordinator → every shard: who is out (each shard takes their slices back out), and the selection, if any.</summary>
/// <param name="IssuerSignature">The aggregation service's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record ShardRoundDecided(
    string TaskId,
    int Round,
    RejectedUpdate[] Excluded,
    string[]? Selected,
    string? FailureReason,
    string? IssuerSignature = null);

/// <summary>Shard → coordinator: the shard's slices of the next model (its slices only, in ascending slice order).</summary>
/// <param name="IssuerSignature">The aggregation service's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record ShardRoundFinished(
    string TaskId,
    int Round,
    int Shard,
    float[]? OwnedValues,
    string? FailureReason,
    string? IssuerSignature = null);
