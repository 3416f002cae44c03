using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>
/// The server of a secure-aggregation round: routes keys and encrypted shares, collects masked inputs, reconstructs the
/// secrets the protocol allows it to learn and removes the masks from the sum. It never sees an unmasked input: it holds
/// one running total of the masked vectors (added as they arrive, so memory is O(P) whatever the number of clients), the
/// shares clients reveal, and finally the sum.
/// </summary>
/// <remarks>Its flow, threat model and failure behaviour: docs/secure-aggregation.md, "The protocol server (SecAggServer)".</remarks>
public sealed class SecAggServer : IDisposable
{
    private readonly SecAggParameters _parameters;
    private readonly SortedDictionary<int, AdvertiseKeys> _advertised = [];
    private readonly Dictionary<int, ECDiffieHellman> _maskingKeys = [];
    private readonly SortedDictionary<int, ShareKeys> _shareKeys = [];
    private readonly Dictionary<(int Dealer, int Holder), (byte[] SelfMask, byte[] MaskingKey)> _commitments = [];
    private readonly SortedSet<int> _maskedFrom = [];
    private uint[]? _maskedTotal; // Σ y_u over the clients in _maskedFrom, modulo 2^32
    private readonly Dictionary<int, SortedSet<int>> _complaintsAbout = [];
    private readonly SortedDictionary<int, UnmaskingRequest> _requests = [];
    private readonly SortedDictionary<int, UnmaskingResponse> _responses = [];
    private readonly SortedDictionary<int, string> _misbehaving = [];
    private int[] _survivors = [];
    private int[] _dropped = [];
    private Stage _stage;

    public SecAggServer(SecAggParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters;
    }

    private enum Stage
    {
        AdvertiseKeys,
        ShareKeys,
        MaskedInput,
        Unmasking,
        Done,
    }

    public SecAggParameters Parameters => _parameters;

    /// <summary>Clients caught misbehaving so far, with a description.</summary>
    public IReadOnlyDictionary<int, string> Misbehaving => _misbehaving;

    /// <summary>Round 0. False (and the client is ignored) for a duplicate, an unknown id or an invalid key.</summary>
    public bool ReceiveAdvertiseKeys(AdvertiseKeys message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Expect(Stage.AdvertiseKeys);
        var id = message.ClientId;
        if (!IsClient(id) || _advertised.ContainsKey(id)) return false;
        if (message.SelfMaskCommitment is not { Length: SecAggCrypto.SelfMaskCommitmentBytes }
            || message.EncryptionPublicKey is null || !SecAggCrypto.IsValidPublicKey(message.EncryptionPublicKey))
        {
            _misbehaving[id] = "advertised a malformed key or commitment";
            return false;
        }
        ECDiffieHellman maskingKey;
        try
        {
            maskingKey = SecAggCrypto.ImportPublicKey(message.MaskingPublicKey ?? []);
        }
        catch (CryptographicException)
        {
            _misbehaving[id] = "advertised a masking key that is not a P-256 point";
            return false;
        }
        _advertised.Add(id, message);
        _maskingKeys.Add(id, maskingKey);
        return true;
    }

    /// <summary>Ends round 0: the key directory of every client that advertised keys (its neighbours that did too).</summary>
    /// <exception cref="SecAggAbortedException">Fewer than t clients advertised keys.</exception>
    public IReadOnlyList<KeyDirectory> CloseAdvertiseKeys()
    {
        Expect(Stage.AdvertiseKeys);
        RequireAtLeastThreshold(_advertised.Count, "advertised keys");
        var directories = new List<KeyDirectory>(_advertised.Count);
        foreach (var id in _advertised.Keys)
        {
            var neighbours = _parameters.Graph.NeighboursOf(id).Where(_advertised.ContainsKey).Select(v => _advertised[v]).ToArray();
            directories.Add(new KeyDirectory(id, neighbours));
        }
        _stage = Stage.ShareKeys;
        return directories;
    }

    /// <summary>
    /// Round 1. False (and the dealer is treated as dropped) unless the message carries exactly one well-formed share for each
    /// neighbour in the dealer's directory.
    /// </summary>
    public bool ReceiveShareKeys(ShareKeys message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Expect(Stage.ShareKeys);
        var dealer = message.DealerId;
        if (!_advertised.ContainsKey(dealer) || _shareKeys.ContainsKey(dealer)) return false;
        var expected = _parameters.Graph.NeighboursOf(dealer).Where(_advertised.ContainsKey).ToHashSet();
        var seen = new HashSet<int>();
        var wellFormed = message.Shares.Count == expected.Count && IsCommitment(message.OwnSelfMaskShareCommitment)
            && IsCommitment(message.OwnMaskingKeyShareCommitment);
        foreach (var share in message.Shares)
        {
            wellFormed &= expected.Contains(share.HolderId) && seen.Add(share.HolderId)
                && share.Ciphertext is not null && share.Ciphertext.Length == SecAggWire.ShareCiphertextBytes
                && IsCommitment(share.SelfMaskShareCommitment) && IsCommitment(share.MaskingKeyShareCommitment);
        }
        if (!wellFormed)
        {
            _misbehaving[dealer] = "sent a ShareKeys message that does not carry one well-formed share per neighbour";
            return false;
        }
        _shareKeys.Add(dealer, message);
        _commitments[(dealer, dealer)] = (message.OwnSelfMaskShareCommitment, message.OwnMaskingKeyShareCommitment);
        foreach (var share in message.Shares)
            _commitments[(dealer, share.HolderId)] = (share.SelfMaskShareCommitment, share.MaskingKeyShareCommitment);
        return true;
    }

    /// <summary>Ends round 1: each client that shared keys gets the shares its neighbours who also shared dealt to it.</summary>
    /// <exception cref="SecAggAbortedException">Fewer than t clients shared keys.</exception>
    public IReadOnlyList<ShareDelivery> CloseShareKeys()
    {
        Expect(Stage.ShareKeys);
        RequireAtLeastThreshold(_shareKeys.Count, "shared their keys");
        var inbox = _shareKeys.Keys.ToDictionary(id => id, _ => new List<RoutedShare>());
        foreach (var (dealer, message) in _shareKeys)
        {
            foreach (var share in message.Shares)
            {
                if (inbox.TryGetValue(share.HolderId, out var list))
                    list.Add(new RoutedShare(dealer, share.Ciphertext, share.SelfMaskShareCommitment, share.MaskingKeyShareCommitment));
            }
        }
        _stage = Stage.MaskedInput;
        return [.. inbox.Select(pair => new ShareDelivery(pair.Key, pair.Value))];
    }

    /// <summary>Round 2. False for a client that did not share keys, a duplicate, a wrong length or a complaint about a non-neighbour.</summary>
    public bool ReceiveMaskedInput(MaskedInput message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Expect(Stage.MaskedInput);
        MaskedSlice[] slices = message.MaskedVector is null ? [] : [new MaskedSlice(0, message.MaskedVector)];
        return Accept(message.ClientId, message.Complaints, slices);
    }

    /// <summary>
    /// Round 2, with the masked vector in pieces, as it arrives in slices from a transport: the pieces must cover the
    /// coordinates 0 to P − 1 exactly once, in any order. The pieces are added to the running total at once and not kept,
    /// so the caller can release them when this returns. Returns false as <see cref="ReceiveMaskedInput(MaskedInput)"/> does.
    /// </summary>
    /// <remarks>
    /// Call it only once the whole vector of the client is at hand: a client whose input is cut off half-way must not be
    /// passed in part, since the total cannot give a partial input back (it would then be neither in the sum nor out of it).
    /// </remarks>
    public bool ReceiveMaskedInput(int clientId, IReadOnlyList<int> complaints, IReadOnlyList<MaskedSlice> slices)
    {
        ArgumentNullException.ThrowIfNull(complaints);
        ArgumentNullException.ThrowIfNull(slices);
        Expect(Stage.MaskedInput);
        return Accept(clientId, complaints, slices);
    }

    private bool Accept(int id, IReadOnlyList<int>? complaintList, IReadOnlyList<MaskedSlice> slices)
    {
        if (!_shareKeys.ContainsKey(id) || _maskedFrom.Contains(id)) return false;
        if (!CoversVectorOnce(slices))
        {
            _misbehaving[id] = "sent a masked input of the wrong length";
            return false;
        }
        var complaints = new HashSet<int>();
        foreach (var dealer in complaintList ?? [])
        {
            if (!_shareKeys.ContainsKey(dealer) || !_parameters.Graph.AreNeighbours(id, dealer) || !complaints.Add(dealer))
            {
                _misbehaving[id] = $"complained about client {dealer}, which dealt it no shares";
                return false;
            }
        }
        _maskedFrom.Add(id);
        _maskedTotal ??= new uint[_parameters.ParameterCount];
        foreach (var slice in slices)
        {
            var target = _maskedTotal.AsSpan(slice.Offset, slice.Values.Length);
            TensorPrimitives.Add(target, slice.Values.Span, target);
        }
        foreach (var dealer in complaints)
        {
            if (!_complaintsAbout.TryGetValue(dealer, out var set)) _complaintsAbout[dealer] = set = [];
            set.Add(id);
        }
        return true;
    }

    private bool CoversVectorOnce(IReadOnlyList<MaskedSlice> slices)
    {
        if (slices.Count == 0) return false;
        var ordered = slices.OrderBy(s => s.Offset).ToArray();
        long next = 0;
        foreach (var slice in ordered)
        {
            if (slice.Offset != next || slice.Values.Length == 0) return false;
            next += slice.Values.Length;
        }
        return next == _parameters.ParameterCount;
    }

    /// <summary>
    /// Ends round 2: fixes who is in the sum and asks every survivor for the shares needed to unmask it.
    /// </summary>
    /// <exception cref="SecAggAbortedException">Some secret could not be reconstructed from the survivors (no share has been
    /// revealed yet, and no sum is formed).</exception>
    public IReadOnlyList<UnmaskingRequest> CloseMaskedInput()
    {
        Expect(Stage.MaskedInput);
        var t = _parameters.Threshold;
        foreach (var (dealer, complainers) in _complaintsAbout)
        {
            _misbehaving[dealer] = $"dealt shares that failed decryption or did not match its commitments at holders {string.Join(", ", complainers)}";
        }
        _survivors = [.. _maskedFrom];
        _dropped = [.. _shareKeys.Keys.Where(id => Array.BinarySearch(_survivors, id) < 0)];
        _stage = Stage.Done; // until the checks pass
        try
        {
            CheckReconstructible(t);
        }
        catch (SecAggAbortedException)
        {
            _maskedTotal = null;
            throw;
        }

        var requests = new List<UnmaskingRequest>(_survivors.Length);
        foreach (var v in _survivors)
        {
            // A holder without a valid share of some dealer (it complained) simply has nothing to return for it.
            var survivors = _parameters.HoldersOf(v).Where(IsSurvivor).ToArray();
            var dropped = _parameters.Graph.NeighboursOf(v).Where(d => Array.BinarySearch(_dropped, d) >= 0).ToArray();
            var request = new UnmaskingRequest(v, survivors, dropped);
            _requests.Add(v, request);
            requests.Add(request);
        }
        _stage = Stage.Unmasking;
        return requests;
    }

    /// <summary>Round 3. False for a client that was not asked, a duplicate, or shares that were not requested.</summary>
    public bool ReceiveUnmaskingResponse(UnmaskingResponse message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Expect(Stage.Unmasking);
        var id = message.ClientId;
        if (!_requests.TryGetValue(id, out var request) || _responses.ContainsKey(id)) return false;
        if (!Subset(message.SelfMaskShares, request.Survivors) || !Subset(message.MaskingKeyShares, request.Dropped))
        {
            _misbehaving[id] = "revealed shares that were not requested, or the same dealer twice";
            return false;
        }
        _responses.Add(id, message);
        return true;
    }

    /// <summary>
    /// Ends round 3: checks every revealed share against its commitment, reconstructs and verifies the self-mask seeds of the
    /// survivors and the masking keys of the dropped clients, and only then removes the masks from the masked total.
    /// </summary>
    /// <exception cref="SecAggAbortedException">A needed secret could not be recovered; no sum is formed.</exception>
    public SecAggResult Finish()
    {
        Expect(Stage.Unmasking);
        _stage = Stage.Done;
        var session = _parameters.SessionId;
        var t = _parameters.Threshold;

        // 1. Holders whose revealed shares do not match the dealers' commitments: discard everything they sent.
        var valid = new List<UnmaskingResponse>(_responses.Count);
        foreach (var (holder, response) in _responses)
        {
            var bad = response.SelfMaskShares.FirstOrDefault(s => !MatchesCommitment(SharedSecret.SelfMaskSeed, s, holder))
                ?? response.MaskingKeyShares.FirstOrDefault(s => !MatchesCommitment(SharedSecret.MaskingKey, s, holder));
            if (bad is null)
            {
                valid.Add(response);
                continue;
            }
            _misbehaving[holder] = $"revealed a share of client {bad.DealerId}'s secrets that does not match the dealer's commitment";
        }

        var selfMaskShares = ByDealer(valid, r => r.SelfMaskShares);
        var maskingKeyShares = ByDealer(valid, r => r.MaskingKeyShares);

        // 2. Reconstruct and verify every secret before touching the masked total.
        var selfMaskSeeds = new Dictionary<int, byte[]>();
        var maskingKeys = new Dictionary<int, ECDiffieHellman>();
        try
        {
            foreach (var u in _survivors)
            {
                var seed = Reconstruct(u, SharedSecret.SelfMaskSeed, selfMaskShares, MaskPrg.SeedBytes, t);
                var commitment = SecAggCrypto.CommitSelfMask(session, u, seed);
                if (!CryptographicOperations.FixedTimeEquals(commitment, _advertised[u].SelfMaskCommitment))
                    throw Inconsistent(u, "self-mask seed", "does not match the seed it committed to in round 0");
                selfMaskSeeds.Add(u, seed);
            }
            foreach (var d in _dropped)
            {
                if (!_parameters.Graph.NeighboursOf(d).Any(IsSurvivor)) continue;
                var scalar = Reconstruct(d, SharedSecret.MaskingKey, maskingKeyShares, SecAggCrypto.PrivateKeyBytes, t);
                var matches = SecAggCrypto.TryImportPrivateKey(scalar, _advertised[d].MaskingPublicKey, out var key);
                CryptographicOperations.ZeroMemory(scalar);
                if (!matches) throw Inconsistent(d, "masking key", "is not the private key of the masking key it advertised");
                maskingKeys.Add(d, key!);
            }

            // 3. The sum: Σ y_u − Σ PRG(b_u) ± the pairwise masks survivors shared with dropped clients.
            var sum = _maskedTotal!;
            _maskedTotal = null;
            foreach (var (_, seed) in selfMaskSeeds) MaskPrg.Subtract(seed, sum);
            foreach (var (d, key) in maskingKeys)
            {
                foreach (var v in _parameters.Graph.NeighboursOf(d))
                {
                    if (!IsSurvivor(v)) continue;
                    // y_v holds +PRG(s_vd) when d > v and −PRG(s_vd) when d < v.
                    var seed = SecAggCrypto.DeriveMaskSeed(key, _maskingKeys[v], session, d, v);
                    if (d > v) MaskPrg.Subtract(seed, sum);
                    else MaskPrg.Add(seed, sum);
                }
            }

            var result = new double[sum.Length];
            _parameters.Quantizer.Dequantize(sum, result);
            return new SecAggResult(result, _survivors, _dropped, new SortedDictionary<int, string>(_misbehaving),
                _parameters.Quantizer.Step, _parameters.Quantizer.SumErrorBound(_survivors.Length, _parameters.Rounding));
        }
        finally
        {
            foreach (var key in maskingKeys.Values) key.Dispose();
            foreach (var seed in selfMaskSeeds.Values) CryptographicOperations.ZeroMemory(seed);
            _maskedTotal = null;
        }
    }

    /// <summary>Clients whose masked input is in the running total so far, ascending.</summary>
    public IReadOnlyCollection<int> MaskedInputsReceived => _maskedFrom;

    public void Dispose()
    {
        foreach (var key in _maskingKeys.Values) key.Dispose();
        _maskingKeys.Clear();
        _maskedTotal = null;
        _stage = Stage.Done;
    }

    private void CheckReconstructible(int t)
    {
        if (_survivors.Length < t)
        {
            throw new SecAggAbortedException(SecAggFailureKind.TooFewSurvivors,
                $"Only {_survivors.Length} clients are left to unmask the sum (of {_parameters.ClientCount} registered, " +
                $"{_shareKeys.Count} that shared keys), fewer than the threshold " +
                $"t = {t}. The round is abandoned and no sum is computed.", _survivors);
        }
        foreach (var u in _survivors)
        {
            var holders = HoldersAmongSurvivors(u);
            if (holders >= t) continue;
            if (_complaintsAbout.ContainsKey(u))
            {
                throw new SecAggAbortedException(SecAggFailureKind.TooFewShares,
                    $"Client {u} dealt bad shares, and only {holders} survivors hold valid shares of its self-mask seed, fewer " +
                    $"than the threshold t = {t}, so its mask cannot be removed. The round is abandoned and no sum is computed.", [u]);
            }
            throw new SecAggAbortedException(SecAggFailureKind.TooFewSurvivors,
                $"Client {u} is in the sum but only {holders} holders of its self-mask shares survived, fewer than the " +
                $"threshold t = {t}. The round is abandoned and no sum is computed.", [u]);
        }
        foreach (var d in _dropped)
        {
            if (!_parameters.Graph.NeighboursOf(d).Any(IsSurvivor)) continue; // no survivor masked with d
            var holders = HoldersAmongSurvivors(d);
            if (holders < t)
            {
                var why = _complaintsAbout.ContainsKey(d) ? "dealt bad shares and dropped" : "dropped";
                throw new SecAggAbortedException(SecAggFailureKind.TooFewShares,
                    $"Client {d} {why}, and only {holders} survivors hold valid shares of its masking key, fewer than the " +
                    $"threshold t = {t}, so its pairwise masks cannot be removed. The round is abandoned and no sum is computed.", [d]);
            }
        }
    }

    private byte[] Reconstruct(int dealer, SharedSecret secret, Dictionary<int, List<(int Holder, byte[] Share)>> revealed, int secretBytes, int t)
    {
        var shares = new List<ShamirShare>();
        var holders = new List<int>();
        foreach (var (holder, encoded) in revealed.GetValueOrDefault(dealer) ?? [])
        {
            var values = new Field127[encoded.Length / Field127.ByteCount];
            for (var i = 0; i < values.Length; i++) Field127.TryRead(encoded.AsSpan(i * Field127.ByteCount, Field127.ByteCount), out values[i]);
            shares.Add(new ShamirShare((ulong)holder + 1, values));
            holders.Add(holder);
        }
        var name = secret == SharedSecret.SelfMaskSeed ? "self-mask seed" : "masking key";
        if (shares.Count < t)
        {
            throw new SecAggAbortedException(SecAggFailureKind.TooFewShares,
                $"Only {shares.Count} valid shares of client {dealer}'s {name} arrived, fewer than the threshold t = {t}. " +
                "The round is abandoned and no sum is computed.", [dealer]);
        }
        var decoding = ShamirSecretSharing.Decode(shares, t);
        if (!decoding.Succeeded || !ShamirSecretSharing.TryToBytes(decoding.Secret, secretBytes, out var bytes))
            throw Inconsistent(dealer, name, $"cannot be decoded from the {shares.Count} shares revealed (too many are off one polynomial)");
        if (decoding.InconsistentShares.Count > 0)
        {
            var off = string.Join(", ", decoding.InconsistentShares.Select(i => holders[i]));
            _misbehaving[dealer] = $"dealt shares of its {name} that are not on one polynomial (holders {off}); corrected by decoding";
        }
        return bytes;
    }

    private static Dictionary<int, List<(int Holder, byte[] Share)>> ByDealer(List<UnmaskingResponse> responses,
        Func<UnmaskingResponse, IReadOnlyList<RevealedShare>> select)
    {
        var byDealer = new Dictionary<int, List<(int, byte[])>>();
        foreach (var response in responses)
        {
            foreach (var share in select(response))
            {
                if (!byDealer.TryGetValue(share.DealerId, out var list)) byDealer[share.DealerId] = list = [];
                list.Add((response.ClientId, share.Share));
            }
        }
        return byDealer;
    }

    private SecAggAbortedException Inconsistent(int dealer, string name, string what)
    {
        _misbehaving[dealer] = $"dealt shares of its {name} that {what}";
        return new SecAggAbortedException(SecAggFailureKind.InconsistentShares,
            $"Client {dealer} dealt inconsistent shares: its {name} {what}. The round is abandoned and no sum is computed.", [dealer]);
    }

    private bool MatchesCommitment(SharedSecret secret, RevealedShare share, int holder)
    {
        var length = secret == SharedSecret.SelfMaskSeed ? SecAggWire.SelfMaskShareBytes : SecAggWire.MaskingKeyShareBytes;
        if (share.Share is null || share.Share.Length != length || !SecAggClient.IsCanonical(share.Share)) return false;
        if (!_commitments.TryGetValue((share.DealerId, holder), out var commitments)) return false;
        var expected = secret == SharedSecret.SelfMaskSeed ? commitments.SelfMask : commitments.MaskingKey;
        return CryptographicOperations.FixedTimeEquals(expected,
            SecAggCrypto.CommitShare(_parameters.SessionId, secret, share.DealerId, holder, share.Share));
    }

    /// <summary>Survivors that hold a valid share of <paramref name="dealer"/>'s secrets (the dealer itself included).</summary>
    private int HoldersAmongSurvivors(int dealer) =>
        _parameters.HoldersOf(dealer).Count(h => IsSurvivor(h) && _commitments.ContainsKey((dealer, h)) && !ComplainedAbout(h, dealer));

    private bool ComplainedAbout(int complainer, int dealer) =>
        _complaintsAbout.TryGetValue(dealer, out var set) && set.Contains(complainer);

    private bool IsSurvivor(int id) => Array.BinarySearch(_survivors, id) >= 0;

    private bool IsClient(int id) => id >= 0 && id < _parameters.ClientCount;

    private static bool IsCommitment(byte[]? bytes) => bytes is { Length: SecAggCrypto.ShareCommitmentBytes };

    private static bool Subset(IReadOnlyList<RevealedShare> shares, IReadOnlyList<int> allowed)
    {
        var seen = new HashSet<int>();
        foreach (var share in shares)
        {
            if (share is null || !allowed.Contains(share.DealerId) || !seen.Add(share.DealerId)) return false;
        }
        return true;
    }

    private void RequireAtLeastThreshold(int count, string what)
    {
        if (count >= _parameters.Threshold) return;
        _stage = Stage.Done;
        throw new SecAggAbortedException(SecAggFailureKind.TooFewSurvivors,
            $"Only {count} of {_parameters.ClientCount} clients {what}, fewer than the threshold t = {_parameters.Threshold}. " +
            "The round is abandoned and no sum is computed.");
    }

    private void Expect(Stage stage)
    {
        if (_stage != stage)
            throw new InvalidOperationException($"The server is at stage {_stage}; this step needs stage {stage}.");
    }
}

/// <summary>A piece of a client's masked vector: the values of coordinates Offset to Offset + Values.Length − 1.</summary>
public readonly record struct MaskedSlice(int Offset, ReadOnlyMemory<uint> Values);
