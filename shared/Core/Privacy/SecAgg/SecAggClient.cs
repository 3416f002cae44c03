using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>Options of a <see cref="SecAggClient"/>.</summary>
public sealed record SecAggClientOptions
{
    /// <summary>
    /// Source of the client's keys, seeds, polynomial coefficients and stochastic rounding; default a fresh
    /// <see cref="RandomNumberGenerator.Create()"/>. Pass a <see cref="SeededRandomNumberGenerator"/> only for reproducible
    /// simulations. The client does not dispose it.
    /// </summary>
    public RandomNumberGenerator? Random { get; init; }

    /// <summary>
    /// Fault injection for tests and simulations: the client deals these holders shares that are off its polynomials (but
    /// encrypts and commits to them properly, so only reconstruction can notice). Empty for an honest client.
    /// </summary>
    public IReadOnlyCollection<int> OffPolynomialShareHolders { get; init; } = [];
}

/// <summary>
/// One client of a secure-aggregation round (Bonawitz et al. 2017, Fig. 4; SecAgg+ of Bell et al. 2020 when the neighbour
/// graph is sparse), as a transport-independent state machine: each method consumes the server's message of a round and
/// returns the client's reply.
/// </summary>
/// <remarks>Not thread-safe; one instance per client per round. Its rounds and refusals: docs/secure-aggregation.md, "The protocol client (SecAggClient)".</remarks>
public sealed class SecAggClient : IDisposable
{
    private readonly SecAggParameters _parameters;
    private readonly RandomNumberGenerator _random;
    private readonly bool _ownsRandom;
    private readonly HashSet<int> _offPolynomialHolders;
    private readonly Dictionary<int, Neighbour> _neighbours = [];
    private readonly Dictionary<int, HeldShares> _held = [];
    private readonly List<int> _complaints = [];
    private ECDiffieHellman? _encryptionKey;
    private ECDiffieHellman? _maskingKey;
    private byte[] _maskingPrivateKey = [];
    private byte[] _selfMaskSeed = [];
    private int[] _partners = [];
    private Stage _stage;

    public SecAggClient(SecAggParameters parameters, int clientId, SecAggClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegative(clientId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(clientId, parameters.ClientCount);
        _parameters = parameters;
        ClientId = clientId;
        _ownsRandom = options?.Random is null;
        _random = options?.Random ?? RandomNumberGenerator.Create();
        _offPolynomialHolders = [.. options?.OffPolynomialShareHolders ?? []];
    }

    private enum Stage
    {
        New,
        Advertised,
        Shared,
        Masked,
        Done,
    }

    public int ClientId { get; }

    /// <summary>Dealers whose shares to this client failed the checks of <see cref="MaskInput"/>.</summary>
    public IReadOnlyList<int> Complaints => _complaints;

    /// <summary>Round 0: fresh keys and self-mask seed.</summary>
    public AdvertiseKeys AdvertiseKeys()
    {
        Expect(Stage.New);
        _encryptionKey = SecAggCrypto.GenerateKey(_random);
        _maskingKey = SecAggCrypto.GenerateKey(_random);
        _maskingPrivateKey = SecAggCrypto.ExportPrivateKey(_maskingKey);
        _selfMaskSeed = new byte[MaskPrg.SeedBytes];
        _random.GetBytes(_selfMaskSeed);
        _stage = Stage.Advertised;
        return new AdvertiseKeys(ClientId, SecAggCrypto.ExportPublicKey(_encryptionKey), SecAggCrypto.ExportPublicKey(_maskingKey),
            SecAggCrypto.CommitSelfMask(_parameters.SessionId, ClientId, _selfMaskSeed));
    }

    /// <summary>Round 1: shares of b_u and of s_u's private scalar for every neighbour in <paramref name="directory"/>.</summary>
    public ShareKeys ShareKeys(KeyDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Expect(Stage.Advertised);
        if (directory.RecipientId != ClientId) Violation($"received the key directory of client {directory.RecipientId}");
        foreach (var keys in directory.Neighbours)
        {
            if (!_parameters.Graph.AreNeighbours(ClientId, keys.ClientId) || _neighbours.ContainsKey(keys.ClientId))
                Violation($"received keys of client {keys.ClientId}, which is not a neighbour or is listed twice");
            try
            {
                var encryption = SecAggCrypto.ImportPublicKey(keys.EncryptionPublicKey);
                var masking = SecAggCrypto.ImportPublicKey(keys.MaskingPublicKey);
                _neighbours.Add(keys.ClientId, new Neighbour(encryption, masking,
                    SecAggCrypto.DeriveChannelKey(_encryptionKey!, encryption, _parameters.SessionId, ClientId, keys.ClientId)));
            }
            catch (CryptographicException)
            {
                Violation($"received an invalid public key of client {keys.ClientId}");
            }
        }

        var holders = new List<int>(_neighbours.Keys) { ClientId };
        holders.Sort();
        if (holders.Count < _parameters.Threshold)
        {
            throw new SecAggAbortedException(SecAggFailureKind.TooFewSurvivors,
                $"Client {ClientId} has {holders.Count - 1} neighbours left, so its secrets would have {holders.Count} holders, " +
                $"fewer than the threshold t = {_parameters.Threshold}.", [ClientId]);
        }

        var points = holders.Select(h => (ulong)h + 1).ToArray();
        var selfMaskShares = ShamirSecretSharing.Split(_selfMaskSeed, _parameters.Threshold, points, _random);
        var maskingKeyShares = ShamirSecretSharing.Split(_maskingPrivateKey, _parameters.Threshold, points, _random);

        var session = _parameters.SessionId;
        var shares = new List<EncryptedShare>(holders.Count - 1);
        byte[] ownSelfMaskCommitment = [], ownMaskingKeyCommitment = [];
        var plaintext = new byte[SecAggWire.SelfMaskShareBytes + SecAggWire.MaskingKeyShareBytes];
        for (var j = 0; j < holders.Count; j++)
        {
            var holder = holders[j];
            if (_offPolynomialHolders.Contains(holder))
            {
                selfMaskShares[j].Values[0] += Field127.One;
                maskingKeyShares[j].Values[0] += Field127.One;
            }
            var selfMaskShare = EncodeElements(selfMaskShares[j].Values);
            var maskingKeyShare = EncodeElements(maskingKeyShares[j].Values);
            var selfMaskCommitment = SecAggCrypto.CommitShare(session, SharedSecret.SelfMaskSeed, ClientId, holder, selfMaskShare);
            var maskingKeyCommitment = SecAggCrypto.CommitShare(session, SharedSecret.MaskingKey, ClientId, holder, maskingKeyShare);
            if (holder == ClientId)
            {
                _held[ClientId] = new HeldShares(selfMaskShare, maskingKeyShare);
                ownSelfMaskCommitment = selfMaskCommitment;
                ownMaskingKeyCommitment = maskingKeyCommitment;
                continue;
            }
            selfMaskShare.CopyTo(plaintext, 0);
            maskingKeyShare.CopyTo(plaintext, selfMaskShare.Length);
            var ciphertext = SecAggCrypto.EncryptShare(_neighbours[holder].ChannelKey, session, ClientId, holder, plaintext);
            shares.Add(new EncryptedShare(holder, ciphertext, selfMaskCommitment, maskingKeyCommitment));
        }
        CryptographicOperations.ZeroMemory(plaintext);
        _stage = Stage.Shared;
        return new ShareKeys(ClientId, ownSelfMaskCommitment, ownMaskingKeyCommitment, shares);
    }

    /// <summary>
    /// Round 2: checks and keeps the delivered shares, then returns the masked, quantised <paramref name="update"/> with the
    /// list of dealers whose shares were bad.
    /// </summary>
    public MaskedInput MaskInput(ShareDelivery delivery, ReadOnlySpan<float> update)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        Expect(Stage.Shared);
        if (delivery.RecipientId != ClientId) Violation($"received the shares of client {delivery.RecipientId}");
        if (update.Length != _parameters.ParameterCount)
            throw new ArgumentException($"The update has {update.Length} parameters, not {_parameters.ParameterCount}.", nameof(update));

        var session = _parameters.SessionId;
        var partners = new List<int>(delivery.Shares.Count);
        var plaintext = new byte[SecAggWire.SelfMaskShareBytes + SecAggWire.MaskingKeyShareBytes];
        foreach (var routed in delivery.Shares)
        {
            if (!_neighbours.TryGetValue(routed.DealerId, out var neighbour) || partners.Contains(routed.DealerId))
                Violation($"received shares from client {routed.DealerId}, which is not a neighbour in the directory or is listed twice");
            partners.Add(routed.DealerId);
            var valid = SecAggCrypto.TryDecryptShare(neighbour!.ChannelKey, session, routed.DealerId, ClientId, routed.Ciphertext, plaintext);
            byte[] selfMaskShare = [], maskingKeyShare = [];
            if (valid)
            {
                selfMaskShare = plaintext[..SecAggWire.SelfMaskShareBytes];
                maskingKeyShare = plaintext[SecAggWire.SelfMaskShareBytes..];
                valid = IsCanonical(selfMaskShare) && IsCanonical(maskingKeyShare)
                    && CryptographicOperations.FixedTimeEquals(routed.SelfMaskShareCommitment,
                        SecAggCrypto.CommitShare(session, SharedSecret.SelfMaskSeed, routed.DealerId, ClientId, selfMaskShare))
                    && CryptographicOperations.FixedTimeEquals(routed.MaskingKeyShareCommitment,
                        SecAggCrypto.CommitShare(session, SharedSecret.MaskingKey, routed.DealerId, ClientId, maskingKeyShare));
            }
            if (valid) _held[routed.DealerId] = new HeldShares(selfMaskShare, maskingKeyShare);
            else _complaints.Add(routed.DealerId);
        }
        CryptographicOperations.ZeroMemory(plaintext);
        partners.Sort();
        if (partners.Count + 1 < _parameters.Threshold)
        {
            throw new SecAggAbortedException(SecAggFailureKind.TooFewSurvivors,
                $"Only {partners.Count} neighbours of client {ClientId} completed key sharing, so its self mask could not be " +
                $"reconstructed from t = {_parameters.Threshold} shares.", [ClientId]);
        }
        _partners = [.. partners];

        var masked = new uint[_parameters.ParameterCount];
        if (_parameters.Rounding == QuantizationRounding.Stochastic) _parameters.Quantizer.QuantizeStochastic(update, masked, _random);
        else _parameters.Quantizer.Quantize(update, masked);
        MaskPrg.Add(_selfMaskSeed, masked);
        foreach (var v in _partners)
        {
            var seed = SecAggCrypto.DeriveMaskSeed(_maskingKey!, _neighbours[v].MaskingKey, session, ClientId, v);
            if (v > ClientId) MaskPrg.Add(seed, masked);
            else MaskPrg.Subtract(seed, masked);
            CryptographicOperations.ZeroMemory(seed);
        }
        _stage = Stage.Masked;
        _complaints.Sort();
        return new MaskedInput(ClientId, masked, [.. _complaints]);
    }

    /// <summary>Round 3: the b shares of <see cref="UnmaskingRequest.Survivors"/> and the s shares of <see cref="UnmaskingRequest.Dropped"/>.</summary>
    public UnmaskingResponse Unmask(UnmaskingRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Expect(Stage.Masked);
        if (request.RecipientId != ClientId) Violation($"received the unmasking request of client {request.RecipientId}");
        var partners = new HashSet<int>(_partners);
        var survivors = new HashSet<int>();
        foreach (var u in request.Survivors)
        {
            if (!(u == ClientId || partners.Contains(u)) || !survivors.Add(u))
                Violation($"was asked for the self-mask share of client {u}, which is not a neighbour it masked with or is listed twice");
        }
        if (!survivors.Contains(ClientId)) Violation("was not listed among the survivors although it sent its masked input");
        var dropped = new HashSet<int>();
        foreach (var u in request.Dropped)
        {
            if (!partners.Contains(u) || survivors.Contains(u) || !dropped.Add(u))
                Violation($"was asked for the masking-key share of client {u}, which is not a neighbour it masked with, is also listed as a survivor, or is listed twice");
        }
        if (survivors.Count < _parameters.Threshold)
        {
            Violation($"was told that only {survivors.Count} of its neighbourhood survived, fewer than the threshold t = {_parameters.Threshold}");
        }

        var selfMaskShares = new List<RevealedShare>(survivors.Count);
        foreach (var u in request.Survivors)
        {
            if (_held.TryGetValue(u, out var shares)) selfMaskShares.Add(new RevealedShare(u, shares.SelfMask));
        }
        var maskingKeyShares = new List<RevealedShare>(dropped.Count);
        foreach (var u in request.Dropped)
        {
            if (_held.TryGetValue(u, out var shares)) maskingKeyShares.Add(new RevealedShare(u, shares.MaskingKey));
        }
        _stage = Stage.Done;
        ForgetSecrets();
        return new UnmaskingResponse(ClientId, selfMaskShares, maskingKeyShares);
    }

    public void Dispose()
    {
        ForgetSecrets();
        foreach (var neighbour in _neighbours.Values)
        {
            neighbour.EncryptionKey.Dispose();
            neighbour.MaskingKey.Dispose();
        }
        _neighbours.Clear();
        _encryptionKey?.Dispose();
        _maskingKey?.Dispose();
        if (_ownsRandom) _random.Dispose();
        _stage = Stage.Done;
    }

    private void ForgetSecrets()
    {
        CryptographicOperations.ZeroMemory(_selfMaskSeed);
        CryptographicOperations.ZeroMemory(_maskingPrivateKey);
        foreach (var neighbour in _neighbours.Values) CryptographicOperations.ZeroMemory(neighbour.ChannelKey);
    }

    private static byte[] EncodeElements(Field127[] values)
    {
        var bytes = new byte[values.Length * Field127.ByteCount];
        for (var i = 0; i < values.Length; i++) values[i].WriteTo(bytes.AsSpan(i * Field127.ByteCount));
        return bytes;
    }

    internal static bool IsCanonical(ReadOnlySpan<byte> share)
    {
        if (share.Length % Field127.ByteCount != 0) return false;
        for (var i = 0; i < share.Length; i += Field127.ByteCount)
        {
            if (!Field127.TryRead(share.Slice(i, Field127.ByteCount), out _)) return false;
        }
        return true;
    }

    private void Expect(Stage stage)
    {
        if (_stage != stage)
            throw new InvalidOperationException($"Client {ClientId} is at stage {_stage}; this step needs stage {stage}.");
    }

    [DoesNotReturn]
    private void Violation(string what)
    {
        _stage = Stage.Done;
        ForgetSecrets();
        throw new SecAggAbortedException(SecAggFailureKind.ProtocolViolation, $"Client {ClientId} aborted: it {what}.", [ClientId]);
    }

    private sealed record Neighbour(ECDiffieHellman EncryptionKey, ECDiffieHellman MaskingKey, byte[] ChannelKey);

    private sealed record HeldShares(byte[] SelfMask, byte[] MaskingKey);
}
