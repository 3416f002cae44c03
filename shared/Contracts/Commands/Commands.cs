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

/// <summary>Request to the privacy accountant: may round <see cref="Round"/> of the task run?</summary>
public sealed record CheckPrivacyBudget(string TaskId, int Round, double SampleRate);

/// <summary>The accountant's answer to <see cref="CheckPrivacyBudget"/>.</summary>
public sealed record PrivacyBudgetDecision(string TaskId, int Round, bool Allowed, double EpsilonIfRun, string Reason);
