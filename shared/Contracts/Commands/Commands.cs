namespace FlMicroservices.Contracts.V1;

/// <summary>Ask the registry to create a task; answered by <see cref="TaskCreated"/> or <see cref="TaskRejected"/>.</summary>
public sealed record CreateTask(string TaskId, TaskSpec Spec);

/// <summary>Ask the registry to admit a client; answered by <see cref="ClientRegistered"/> or <see cref="ClientRejected"/>.</summary>
/// <param name="Keys">The client's public signing keys, one per algorithm (docs/signing.md); the registry binds them to the id on first use.</param>
public sealed record RegisterClient(string ClientId, ClientCapabilities Capabilities, ClientKey[]? Keys = null);

/// <summary>A client's periodic sign of life, with its current load.</summary>
/// <param name="Capabilities">What it would register with: a registry that does not know the client (after a Redis loss or a heartbeat gap) admits it again.</param>
/// <param name="Keys">Its public signing keys, checked against those bound to it when the heartbeat admits it again.</param>
public sealed record ClientHeartbeat(string ClientId, double CpuLoad, long FreeMemoryBytes, DateTimeOffset SentAt, ClientCapabilities? Capabilities = null,
    ClientKey[]? Keys = null);

/// <summary>The heartbeats of many clients one node process hosts, in one message (a node with more clients than Node:HeartbeatBatch sends these).</summary>
/// <param name="CpuLoad">The node's load, <paramref name="FreeMemoryBytes"/> and <paramref name="SentAt"/>: shared by every client it hosts.</param>
/// <param name="Beats">At most <see cref="MaxBeats"/> clients, each handled as a <see cref="ClientHeartbeat"/> of its own.</param>
public sealed record ClientHeartbeats(string NodeId, double CpuLoad, long FreeMemoryBytes, DateTimeOffset SentAt, HostedClientBeat[] Beats)
{
    /// <summary>The most heartbeats one message may carry; the registry refuses a larger one whole.</summary>
    public const int MaxBeats = 1_000;
}

/// <summary>One client's part of <see cref="ClientHeartbeats"/>: what its own <see cref="ClientHeartbeat"/> would carry beyond the node's load.</summary>
public sealed record HostedClientBeat(string ClientId, ClientCapabilities? Capabilities = null, ClientKey[]? Keys = null);

/// <summary>Request to the privacy accountant: may round <see cref="Round"/> of the task run?</summary>
public sealed record CheckPrivacyBudget(string TaskId, int Round, double SampleRate);

/// <summary>The accountant's answer to <see cref="CheckPrivacyBudget"/>.</summary>
/// <param name="IssuerSignature">The privacy accountant's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record PrivacyBudgetDecision(string TaskId, int Round, bool Allowed, double EpsilonIfRun, string Reason, string? IssuerSignature = null);
