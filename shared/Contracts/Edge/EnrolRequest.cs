namespace FlMicroservices.Contracts.Edge;

/// <summary>A node's enrolment: the operator's one-time token, its name, its public key and the clients it will speak for.</summary>
/// <param name="PublicKey">The node's ECDSA P-256 public key, SubjectPublicKeyInfo DER in base64.</param>
/// <param name="Proof">Base64 ECDSA signature (IEEE P1363, SHA-256) over <see cref="NodeToken.EnrolmentProofText"/>: the node holds the private key.</param>
public sealed record EnrolRequest(string Token, string NodeId, string PublicKey, string[] ClientIds, string Proof);

/// <summary>The edge's answer to an enrolment: the identity it recorded.</summary>
public sealed record EnrolResponse(string NodeId, string[] ClientIds, DateTimeOffset EnrolledAt, DateTimeOffset ExpiresAt, string Audience);

/// <summary>An operator's request for an enrolment token: how many clients the node may enrol, and how long the token lives.</summary>
public sealed record EnrolmentTokenRequest(int Clients = 1, double? LifetimeHours = null);

/// <summary>A new enrolment token: shown once; the edge keeps only its SHA-256.</summary>
public sealed record EnrolmentTokenIssued(string Id, string Token, int Clients, DateTimeOffset ExpiresAt);

/// <summary>An upload's receipt: slices written to the update stream and their bytes.</summary>
public sealed record UploadReceipt(int Slices, long Bytes);
