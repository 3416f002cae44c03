namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>Why a secure-aggregation round was abandoned.</summary>
public enum SecAggFailureKind
{
    /// <summary>Fewer clients than the threshold are left where a secret must be reconstructed (or too few to start).</summary>
    TooFewSurvivors,

    /// <summary>Fewer than t valid shares of some secret arrived (holders dropped during unmasking or returned bad shares).</summary>
    TooFewShares,

    /// <summary>A dealer's shares do not reconstruct the secret it committed to (not on one polynomial, or the wrong secret).</summary>
    InconsistentShares,

    /// <summary>A message broke the protocol (wrong recipient, unknown neighbour, a request to reveal both secrets of a client...).</summary>
    ProtocolViolation,
}

/// <summary>
/// A round that cannot complete. Thrown by <see cref="SecAggServer"/> before any sum is formed (so nothing partial exists),
/// and by <see cref="SecAggClient"/> when a client refuses to go on.
/// </summary>
public sealed class SecAggAbortedException : Exception
{
    public SecAggAbortedException(SecAggFailureKind kind, string reason, IReadOnlyList<int>? clients = null)
        : base(reason)
    {
        Kind = kind;
        Clients = clients ?? [];
    }

    public SecAggFailureKind Kind { get; }

    /// <summary>The clients the failure is about (the dealer whose secret could not be recovered, say).</summary>
    public IReadOnlyList<int> Clients { get; }

    public SecAggFailure ToFailure() => new(Kind, Message, Clients);
}

/// <summary>A failed round: what went wrong, in words, and about whom.</summary>
public sealed record SecAggFailure(SecAggFailureKind Kind, string Reason, IReadOnlyList<int> Clients);

/// <summary>The unmasked sum of a round.</summary>
/// <param name="Sum">Σ over <paramref name="IncludedClients"/> of their clipped updates, dequantised (length P).</param>
/// <param name="IncludedClients">Clients whose inputs are in the sum, ascending.</param>
/// <param name="DroppedClients">Clients that shared keys but dropped before sending their masked inputs, ascending.</param>
/// <param name="Misbehaving">Clients caught sending malformed messages or shares, with what they did.</param>
/// <param name="QuantizationStep">Δ of <see cref="FixedPointQuantizer"/>.</param>
/// <param name="ErrorBound">The largest |Sum − exact sum of clipped inputs| the quantisation allows, per coordinate.</param>
public sealed record SecAggResult(
    double[] Sum,
    IReadOnlyList<int> IncludedClients,
    IReadOnlyList<int> DroppedClients,
    IReadOnlyDictionary<int, string> Misbehaving,
    double QuantizationStep,
    double ErrorBound);
