namespace FlMicroservices.Contracts.V1;

/// <summary>A client (an organisation's node or a virtual client) joined the platform.</summary>
public sealed record ClientRegistered(
    string ClientId,
    ClientCapabilities Capabilities,
    DateTimeOffset RegisteredAt);

/// <summary>What a client declares about itself at registration.</summary>
public sealed record ClientCapabilities(
    int ExampleCount,
    int CpuCores,
    long MemoryBytes,
    string[] Models);

/// <summary>A registration or heartbeat was refused; nothing about the client changed.</summary>
public sealed record ClientRejected(
    string ClientId,
    string Reason,
    DateTimeOffset RejectedAt);
