namespace FlMicroservices.Contracts.V1;

/// <summary>
/// A secure-aggregation protocol message from a participant to the aggregation service (rounds with
/// <see cref="PrivacyConfig.SecureAggregation"/> on).
/// </summary>
/// <param name="ClientId">The participant that sends it (its protocol id is its position among the round's participants in
/// ordinal order, and must be the id inside <paramref name="Payload"/>).</param>
/// <param name="Payload">The protocol message in its compact binary encoding (FlMicroservices.Core.Privacy.SecAgg.SecAggWire):
/// AdvertiseKeys (protocol round 0), ShareKeys (round 1) or UnmaskingResponse (round 3). The masked input of round 2
/// travels on the update stream instead (see <see cref="MaskedUpdateSubmitted"/>).</param>
public sealed record SecAggClientMessage(
    string TaskId,
    int Round,
    string ClientId,
    byte[] Payload);

/// <summary>
/// A secure-aggregation protocol message from the aggregation service to one participant. Every node receives every such
/// message and ignores those for clients it does not host; their contents are public or encrypted for the recipient.
/// </summary>
/// <param name="Payload">SecAggWire encoding of KeyDirectory (after round 0), ShareDelivery (after round 1: the encrypted
/// shares dealt to the recipient) or UnmaskingRequest (after round 2).</param>
/// <param name="IssuerSignature">The aggregation service's signature (base64, ECDSA P-256) over the rest of the message, in deployments with per-process broker accounts (docs/security.md, "Signed commands"); null otherwise.</param>
public sealed record SecAggServerMessage(
    string TaskId,
    int Round,
    string RecipientClientId,
    byte[] Payload,
    string? IssuerSignature = null);

/// <summary>
/// A participant of a secure round finished streaming its masked update (round 2 of the protocol): the manifest of its
/// <c>UInt32</c> slices, and its complaints about dealers whose shares failed the checks. It replaces
/// <see cref="UpdateSubmitted"/> in secure rounds.
/// </summary>
/// <param name="SliceCount">Slices of masked Z_2^32 values on the update stream.</param>
/// <param name="ElementCount">Parameters of the model.</param>
/// <param name="Digest">SHA-256 over the CRC-32 of every masked slice payload, in slice order (as for plain updates).</param>
/// <param name="Payload">SecAggWire encoding of a MaskedInput whose vector is empty (the vector is on the stream) and whose
/// complaint list names the protocol ids of the dealers whose shares were bad.</param>
/// <param name="ExampleCount">The client's example count, as declared by it (the mean is unweighted; reported only).</param>
/// <param name="Metrics">What the client measured while training (reported only).</param>
/// <param name="Signature">The client's signature over the statement of its masked update (as <see cref="UpdateSubmitted.Signature"/>, over this digest).</param>
/// <param name="Nonce">The fresh value the signature covers.</param>
/// <param name="SignatureAlgorithm">The algorithm of <paramref name="Signature"/>.</param>
public sealed record MaskedUpdateSubmitted(
    string TaskId,
    int Round,
    string ClientId,
    int SliceCount,
    int ElementCount,
    string Digest,
    byte[] Payload,
    int ExampleCount,
    LocalMetrics Metrics,
    string? Signature = null,
    string? Nonce = null,
    string? SignatureAlgorithm = null);
