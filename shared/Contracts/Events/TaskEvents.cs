namespace FlMicroservices.Contracts.V1;

/// <summary>A federated training task was accepted by the registry; every service prepares its state for it.</summary>
/// <param name="IssuerSignature">The registry's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record TaskCreated(
    string TaskId,
    TaskSpec Spec,
    DateTimeOffset CreatedAt,
    string? IssuerSignature = null);

/// <summary>A task request was refused; <see cref="Reason"/> names the bad setting.</summary>
public sealed record TaskRejected(
    string TaskId,
    string Reason,
    DateTimeOffset RejectedAt);

/// <summary>A task has run its last round (or was stopped); no further rounds start.</summary>
/// <param name="Succeeded">True when every round that ran succeeded and the task ended as planned (all rounds, or the privacy budget).</param>
/// <param name="FailedRounds">Rounds that ended with <see cref="RoundCompleted.Succeeded"/> false, or that no service closed in time.</param>
/// <param name="BestModelVersion">The best validated version of the task (docs/model-lifecycle.md); null when nothing was validated.</param>
/// <param name="BestAccuracy">Its validation accuracy.</param>
/// <param name="IssuerSignature">The selector's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record TaskCompleted(
    string TaskId,
    int RoundsCompleted,
    int FinalModelVersion,
    double? FinalAccuracy,
    string Reason,
    DateTimeOffset CompletedAt,
    bool Succeeded = true,
    int FailedRounds = 0,
    int? BestModelVersion = null,
    double? BestAccuracy = null,
    string? IssuerSignature = null);
