namespace FlMicroservices.Edge;

/// <summary>An enrolment token as stored: its SHA-256 only, never the token.</summary>
public sealed record EnrolmentTokenRecord(string Id, string Hash, int Clients, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt = null, string? UsedBy = null, DateTimeOffset? UsedAt = null);

/// <summary>An enrolled node: its public key and the clients it speaks for.</summary>
/// <param name="PublicKey">ECDSA P-256 SubjectPublicKeyInfo DER, base64.</param>
public sealed record NodeIdentity(string NodeId, string PublicKey, string[] ClientIds, string TokenId, DateTimeOffset EnrolledAt, DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt = null, string? RevokedReason = null)
{
    /// <summary>Why the identity may not be used at <paramref name="now"/>, or null.</summary>
    public string? Problem(DateTimeOffset now) =>
        RevokedAt is { } revoked ? $"node '{NodeId}' was revoked at {revoked:u}: {RevokedReason}"
        : ExpiresAt <= now ? $"node '{NodeId}''s identity expired at {ExpiresAt:u}; enrol it again with a new token"
        : null;
}

/// <summary>A request the edge refused, recorded with its reason.</summary>
public sealed record EdgeRefusal(DateTimeOffset At, string? NodeId, string Request, string Reason);

/// <summary>The outcome of an enrolment: the identity, or the HTTP status and the reason it was refused.</summary>
public sealed record EnrolmentOutcome(NodeIdentity? Identity, int Status, string? Problem, string Field = "token");
