namespace FlMicroservices.Contracts.V1;

/// <summary>A client (an organisation's node or a virtual client) joined the platform.</summary>
public sealed record ClientRegistered(
    string ClientId,
    ClientCapabilities Capabilities,
    DateTimeOffset RegisteredAt);

/// <summary>What a client declares about itself at registration.</summary>
/// <param name="Datasets">The data sets it can train on; null from clients that predate capability targeting (they match any task).</param>
/// <param name="CpuLoad">Its host's measured CPU load in [0, 1] when it registered.</param>
public sealed record ClientCapabilities(
    int ExampleCount,
    int CpuCores,
    long MemoryBytes,
    string[] Models,
    ClientDataset[]? Datasets = null,
    double CpuLoad = 0);

/// <summary>One data set a client holds: its name (e.g. "mnist", "synthetic"), one sample's shape, the number of classes and how many examples.</summary>
public sealed record ClientDataset(string Name, int[] SampleShape, int ClassCount, int ExampleCount);

/// <summary>A registration or heartbeat was refused; nothing about the client changed.</summary>
public sealed record ClientRejected(
    string ClientId,
    string Reason,
    DateTimeOffset RejectedAt);
