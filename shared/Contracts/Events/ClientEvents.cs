namespace FlMicroservices.Contracts.V1;

/// <summary>A client (an organisation's node or a virtual client) joined the platform.</summary>
/// <param name="Keys">The public keys the registry bound to the client (its first registration's; docs/signing.md); null from registries before signing.</param>
/// <param name="IssuerSignature">The registry's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record ClientRegistered(
    string ClientId,
    ClientCapabilities Capabilities,
    DateTimeOffset RegisteredAt,
    ClientKey[]? Keys = null,
    string? IssuerSignature = null);

/// <summary>A client's public signing key: its algorithm (<see cref="SigningAlgorithms"/>) and the key, base64.</summary>
/// <param name="PublicKey">ecdsa-p256: SubjectPublicKeyInfo (DER); ml-dsa-65: the FIPS 204 public key encoding.</param>
public sealed record ClientKey(string Algorithm, string PublicKey);

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
