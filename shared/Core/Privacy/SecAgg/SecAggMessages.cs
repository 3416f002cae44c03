namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>The protocol messages, in round order (also the type byte of <see cref="SecAggWire"/>).</summary>
public enum SecAggMessageKind : byte
{
    AdvertiseKeys = 1,
    KeyDirectory = 2,
    ShareKeys = 3,
    ShareDelivery = 4,
    MaskedInput = 5,
    UnmaskingRequest = 6,
    UnmaskingResponse = 7,
    PlainUpdate = 8,
}

/// <summary>
/// A message of the protocol. Messages are plain data (ids, byte arrays, lists) so that any transport can carry them, in
/// <see cref="SecAggWire"/>'s compact binary form or serialised by the transport itself; the round id belongs in the
/// transport's envelope (every key and ciphertext is already bound to the round through the session id).
/// </summary>
public interface ISecAggMessage
{
    SecAggMessageKind Kind { get; }
}

/// <summary>
/// Round 0, client → server: the client's two P-256 public keys (c for encrypting shares, s for pairwise masks, each X ‖ Y,
/// 64 bytes) and a commitment (SHA-256, 32 bytes) to its self-mask seed b_u.
/// </summary>
public sealed record AdvertiseKeys(int ClientId, byte[] EncryptionPublicKey, byte[] MaskingPublicKey, byte[] SelfMaskCommitment)
    : ISecAggMessage
{
    public SecAggMessageKind Kind => SecAggMessageKind.AdvertiseKeys;
}

/// <summary>Round 0, server → client: the advertised keys of the recipient's neighbours that took part in round 0.</summary>
public sealed record KeyDirectory(int RecipientId, IReadOnlyList<AdvertiseKeys> Neighbours) : ISecAggMessage
{
    public SecAggMessageKind Kind => SecAggMessageKind.KeyDirectory;
}

/// <summary>
/// One holder's shares, as the dealer sends them: AES-GCM ciphertext of (share of b_u ‖ share of s_u) under the pair's
/// channel key (80 + 16 bytes), and the dealer's 16-byte commitments to each of the two shares.
/// </summary>
public sealed record EncryptedShare(int HolderId, byte[] Ciphertext, byte[] SelfMaskShareCommitment, byte[] MaskingKeyShareCommitment);

/// <summary>
/// Round 1, client → server: the dealer's encrypted shares for every neighbour in the directory, plus its commitments to the
/// shares it keeps itself (the dealer is one of its own holders).
/// </summary>
public sealed record ShareKeys(
    int DealerId,
    byte[] OwnSelfMaskShareCommitment,
    byte[] OwnMaskingKeyShareCommitment,
    IReadOnlyList<EncryptedShare> Shares) : ISecAggMessage
{
    public SecAggMessageKind Kind => SecAggMessageKind.ShareKeys;
}

/// <summary>An <see cref="EncryptedShare"/> as the server forwards it to its holder.</summary>
public sealed record RoutedShare(int DealerId, byte[] Ciphertext, byte[] SelfMaskShareCommitment, byte[] MaskingKeyShareCommitment);

/// <summary>
/// Round 1, server → client: the shares dealt to the recipient by its neighbours that completed round 1. These dealers are
/// exactly the clients the recipient masks with.
/// </summary>
public sealed record ShareDelivery(int RecipientId, IReadOnlyList<RoutedShare> Shares) : ISecAggMessage
{
    public SecAggMessageKind Kind => SecAggMessageKind.ShareDelivery;
}

/// <summary>
/// Round 2, client → server: y_u = x_u + PRG(b_u) + Σ_{v&gt;u} PRG(s_uv) − Σ_{v&lt;u} PRG(s_uv) over Z_2^32, and the
/// dealers whose shares failed decryption or did not match their commitments.
/// </summary>
public sealed record MaskedInput(int ClientId, uint[] MaskedVector, IReadOnlyList<int> Complaints) : ISecAggMessage
{
    public SecAggMessageKind Kind => SecAggMessageKind.MaskedInput;
}

/// <summary>
/// Round 3, server → client: which of the recipient's holders-of-shares neighbours (and itself) are in the sum, whose b shares
/// it must reveal, and which dropped, whose s shares it must reveal. The two lists are disjoint.
/// </summary>
public sealed record UnmaskingRequest(int RecipientId, IReadOnlyList<int> Survivors, IReadOnlyList<int> Dropped) : ISecAggMessage
{
    public SecAggMessageKind Kind => SecAggMessageKind.UnmaskingRequest;
}

/// <summary>A share in the clear: the canonical encoding of its field elements (2 × 16 bytes for b, 3 × 16 for s).</summary>
public sealed record RevealedShare(int DealerId, byte[] Share);

/// <summary>Round 3, client → server: the requested shares it holds.</summary>
public sealed record UnmaskingResponse(int ClientId, IReadOnlyList<RevealedShare> SelfMaskShares, IReadOnlyList<RevealedShare> MaskingKeyShares)
    : ISecAggMessage
{
    public SecAggMessageKind Kind => SecAggMessageKind.UnmaskingResponse;
}

/// <summary>The baseline: a client's float32 update sent in the clear.</summary>
public sealed record PlainUpdate(int ClientId, float[] Update) : ISecAggMessage
{
    public SecAggMessageKind Kind => SecAggMessageKind.PlainUpdate;
}
