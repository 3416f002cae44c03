namespace FlMicroservices.Contracts.V1;

/// <summary>A round began: the selected participants should train <see cref="ModelVersion"/> and stream their updates.</summary>
/// <param name="StrategyParameters">The task's own strategy parameters, as the user gave them (nothing derived is added).</param>
/// <param name="Settings">The round plan: what the strategy asks of the services and nodes; null in messages of publishers before it existed.</param>
/// <param name="IssuerSignature">The selector's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record RoundStarted(
    string TaskId,
    int Round,
    int ModelVersion,
    string[] Participants,
    DateTimeOffset Deadline,
    TrainingConfig Training,
    PrivacyConfig Privacy,
    int SliceElements,
    string ModelName,
    string Strategy,
    Dictionary<string, string> StrategyParameters,
    double Quorum,
    int Seed,
    double ByzantineShare = 0.2,
    RoundSettings? Settings = null,
    string? IssuerSignature = null);

/// <summary>A participant finished streaming its update; this is the manifest of its slices.</summary>
/// <param name="Signature">The client's signature (base64) over the update statement (docs/signing.md); null when the task does not sign.</param>
/// <param name="Nonce">A fresh random value (hex) the signature covers, so no two signed statements are alike.</param>
/// <param name="SignatureAlgorithm">The algorithm of <paramref name="Signature"/> (<see cref="SigningAlgorithms"/>).</param>
public sealed record UpdateSubmitted(
    string TaskId,
    int Round,
    string ClientId,
    int ExampleCount,
    int SliceCount,
    int ElementCount,
    string Digest,
    string? Signature,
    LocalMetrics Metrics,
    string? Nonce = null,
    string? SignatureAlgorithm = null);

/// <summary>A selected client will not send an update this round (outside its training window, or its node knows it cannot finish in time), so the round need not wait for it.</summary>
/// <param name="Reason">Why, in words, for the round's record.</param>
/// <param name="Seconds">How long the client would have needed, round start to upload, when its node knows (a simulated clock's estimate); null otherwise.</param>
public sealed record UpdateDeclined(
    string TaskId,
    int Round,
    string ClientId,
    string Reason,
    double? Seconds = null);

/// <summary>A participant that declined a round (<see cref="UpdateDeclined"/>), in the round's record.</summary>
public sealed record DeclinedUpdate(
    string ClientId,
    string Reason,
    double? Seconds = null);

/// <summary>What a client measured while training locally.</summary>
/// <param name="RoundSeconds">Seconds the round took the client, from the round's start to its upload (under a simulated clock, the simulated time, upload included); null from older nodes.</param>
public sealed record LocalMetrics(
    double TrainLoss,
    double TrainSeconds,
    int Steps,
    double? RoundSeconds = null);

/// <summary>The aggregation service closed a round; when <see cref="Succeeded"/>, the new global weights are at <see cref="AggregateRef"/>.</summary>
/// <param name="IssuerSignature">The aggregation's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record RoundAggregated(
    string TaskId,
    int Round,
    int BaseModelVersion,
    bool Succeeded,
    string? AggregateRef,
    Contribution[] Contributors,
    RejectedUpdate[] Rejected,
    string[] Dropouts,
    string? FailureReason,
    double AggregationSeconds,
    DeclinedUpdate[]? Declined = null,
    string? IssuerSignature = null);

/// <summary>One client's complete, valid update in a round.</summary>
/// <param name="Aggregated">False when a selecting strategy (Krum, Multi-Krum, Bulyan) left the update out of the aggregate: it is not paid.</param>
/// <param name="Seconds">How long the client took, round start to upload, as its manifest reports (<see cref="LocalMetrics.RoundSeconds"/>); null when it did not say.</param>
/// <param name="LateFrom">A late update folded into this round (<see cref="TaskSpec.LateUpdates"/>): the round it was trained for; <paramref name="ExampleCount"/> is then the staleness-weighted weight it was folded (and is paid) with.</param>
public sealed record Contribution(
    string ClientId,
    int ExampleCount,
    double UpdateNorm,
    double TrainLoss,
    bool Aggregated = true,
    double? Seconds = null,
    int? LateFrom = null);

/// <summary>An update the aggregation service refused, with the reason; the round went on without it.</summary>
public sealed record RejectedUpdate(
    string ClientId,
    string Reason);

/// <summary>The model registry stored a model version (round 0 is the task's initial model).</summary>
/// <param name="IssuerSignature">The model registry's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record ModelVersionPublished(
    string TaskId,
    int Version,
    int Round,
    int? ParentVersion,
    int ParameterCount,
    string Digest,
    double? Accuracy,
    double? Loss,
    bool RolledBack,
    string? IssuerSignature = null);

/// <summary>An operator made <paramref name="Version"/> the task's current version by hand (promote or roll back); the next round trains from it.</summary>
/// <param name="PreviousVersion">The version that was current before.</param>
/// <param name="Kind">"promote" or "rollback".</param>
/// <param name="Sequence">The task's promotions so far, this one included (1, 2, ...).</param>
public sealed record ModelVersionPromoted(
    string TaskId,
    int Version,
    int PreviousVersion,
    string Kind,
    string? Reason,
    double? Accuracy,
    int Sequence,
    DateTimeOffset PromotedAt);

/// <summary>The public end-of-round event for outside systems: what the round produced and which model is now current.</summary>
/// <param name="Evaluated">True when <see cref="Accuracy"/> and <see cref="Loss"/> were measured on the task's validation data.</param>
/// <param name="NotEvaluatedReason">Why not, when <see cref="Evaluated"/> is false (no validation data named, or it could not be loaded).</param>
/// <param name="BestModelVersion">The task's best validated version after this round; null while none was validated.</param>
/// <param name="BestAccuracy">Its validation accuracy.</param>
/// <param name="StopReason">Set when the task's rollback policy stops the task after this round (docs/model-lifecycle.md).</param>
/// <param name="IssuerSignature">The model registry's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record RoundCompleted(
    string TaskId,
    int Round,
    int ModelVersion,
    bool Succeeded,
    bool RolledBack,
    double? Accuracy,
    double? Loss,
    string[] Participants,
    Contribution[] Contributors,
    RejectedUpdate[] Rejected,
    string[] Dropouts,
    string? FailureReason,
    DateTimeOffset CompletedAt,
    bool Evaluated = false,
    string? NotEvaluatedReason = null,
    int? BestModelVersion = null,
    double? BestAccuracy = null,
    string? StopReason = null,
    string? IssuerSignature = null,
    DeclinedUpdate[]? Declined = null);

/// <summary>The privacy accountant recorded what a round spent.</summary>
public sealed record PrivacyBudgetUpdated(
    string TaskId,
    int Round,
    bool DifferentialPrivacy,
    double EpsilonSpent,
    double EpsilonBudget,
    double Delta);

/// <summary>The reward service scored a round's contributors and credited their ledger accounts.</summary>
/// <param name="IssuerSignature">The reward service's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record RewardsIssued(
    string TaskId,
    int Round,
    ClientReward[] Rewards,
    decimal TotalTokens,
    string? IssuerSignature = null);

/// <summary>One client's reward for one round.</summary>
public sealed record ClientReward(
    string ClientId,
    double Score,
    decimal Tokens,
    decimal Balance);
