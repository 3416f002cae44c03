namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>The four rounds of the protocol (Bonawitz et al.'s rounds 0 to 3, the consistency check left out).</summary>
public enum SecAggRound
{
    AdvertiseKeys = 0,
    ShareKeys = 1,
    MaskedInput = 2,
    Unmasking = 3,
}

/// <summary>When the dropping clients of a simulation disappear.</summary>
public enum DropoutStage
{
    /// <summary>After advertising keys: nobody holds shares of their secrets and nobody masks with them.</summary>
    BeforeShareKeys,

    /// <summary>After sharing keys, before sending the masked input: the case that needs their masking keys reconstructed.</summary>
    BeforeMaskedInput,

    /// <summary>After sending the masked input, before unmasking: they are in the sum, but do not help to unmask it.</summary>
    BeforeUnmasking,
}

/// <summary>Which clients drop in a simulation, and when.</summary>
public sealed record SecAggDropout(IReadOnlyCollection<int> Clients, DropoutStage Stage)
{
    public static SecAggDropout None { get; } = new([], DropoutStage.BeforeMaskedInput);

    /// <summary>round(<paramref name="fraction"/> · n) distinct clients drawn with <see cref="System.Random"/>(<paramref name="seed"/>).</summary>
    public static SecAggDropout Random(int clients, double fraction, int seed, DropoutStage stage = DropoutStage.BeforeMaskedInput)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clients);
        if (!(fraction >= 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The dropout fraction must be in [0, 1].");
        var order = Enumerable.Range(0, clients).ToArray();
        new System.Random(seed).Shuffle(order);
        var count = (int)Math.Round(fraction * clients, MidpointRounding.AwayFromZero);
        return new SecAggDropout(order.Take(count).Order().ToArray(), stage);
    }
}

/// <summary>Misbehaviour to inject into a simulation (keys are the misbehaving clients).</summary>
public sealed record SecAggFaults
{
    /// <summary>Dealer → holders: the dealer sends these holders ciphertexts with a flipped byte (they fail authentication).</summary>
    public IReadOnlyDictionary<int, IReadOnlyCollection<int>> CorruptedShareCiphertexts { get; init; } =
        new Dictionary<int, IReadOnlyCollection<int>>();

    /// <summary>Dealer → holders: the dealer deals these holders shares off its polynomials, encrypted and committed properly.</summary>
    public IReadOnlyDictionary<int, IReadOnlyCollection<int>> OffPolynomialShares { get; init; } =
        new Dictionary<int, IReadOnlyCollection<int>>();

    /// <summary>Holder → dealers: in round 3 the holder reveals, for these dealers, shares with a flipped byte.</summary>
    public IReadOnlyDictionary<int, IReadOnlyCollection<int>> CorruptedRevealedShares { get; init; } =
        new Dictionary<int, IReadOnlyCollection<int>>();
}

/// <summary>
/// Bytes and compute time of a simulated round, per client and per protocol round. Bytes are the lengths of the
/// <see cref="SecAggWire"/> encodings. Times are the CPU time of each party's own work (its protocol step, encoding what
/// it sends and decoding what it receives), all parties running one after another on one thread: thread CPU time on Linux,
/// elapsed time elsewhere (<see cref="MeasuresCpuTime"/>). The inputs' generation and the transport are not included.
/// </summary>
public sealed class SecAggCosts
{
    private const int Rounds = 4;
    private readonly long[] _sent;
    private readonly long[] _received;
    private readonly long[] _clientNanoseconds;
    private readonly long[] _serverNanoseconds = new long[Rounds];

    internal SecAggCosts(int clients)
    {
        ClientCount = clients;
        _sent = new long[clients * Rounds];
        _received = new long[clients * Rounds];
        _clientNanoseconds = new long[clients * Rounds];
    }

    public int ClientCount { get; }

    /// <summary>True when times are thread CPU time, false when they are elapsed time (see the class summary).</summary>
    public static bool MeasuresCpuTime => ThreadCpuClock.MeasuresCpuTime;

    public long BytesSent(int client, SecAggRound round) => _sent[Index(client, round)];
    public long BytesReceived(int client, SecAggRound round) => _received[Index(client, round)];
    public TimeSpan ClientTime(int client, SecAggRound round) => ThreadCpuClock.ToTimeSpan(_clientNanoseconds[Index(client, round)]);
    public TimeSpan ServerTime(SecAggRound round) => ThreadCpuClock.ToTimeSpan(_serverNanoseconds[(int)round]);

    public long TotalBytesSent(int client) => Sum(_sent, client);
    public long TotalBytesReceived(int client) => Sum(_received, client);
    public TimeSpan TotalClientTime(int client) => ThreadCpuClock.ToTimeSpan(Sum(_clientNanoseconds, client));
    public TimeSpan TotalServerTime => ThreadCpuClock.ToTimeSpan(_serverNanoseconds.Sum());

    internal void AddSent(int client, SecAggRound round, long bytes) => _sent[Index(client, round)] += bytes;
    internal void AddReceived(int client, SecAggRound round, long bytes) => _received[Index(client, round)] += bytes;
    internal void AddClientNanoseconds(int client, SecAggRound round, long nanoseconds) => _clientNanoseconds[Index(client, round)] += nanoseconds;
    internal void AddServerNanoseconds(SecAggRound round, long nanoseconds) => _serverNanoseconds[(int)round] += nanoseconds;

    private static int Index(int client, SecAggRound round) => client * Rounds + (int)round;

    private static long Sum(long[] values, int client)
    {
        long total = 0;
        for (var r = 0; r < Rounds; r++) total += values[client * Rounds + r];
        return total;
    }
}

/// <summary>The outcome of <see cref="SecAggSimulator.Run"/>.</summary>
/// <param name="Result">The sum, or null when the round failed.</param>
/// <param name="Failure">Why the round failed, or null.</param>
/// <param name="Costs">Bytes and times.</param>
/// <param name="ClientAborts">Clients that refused to go on (they count as dropped), with the reason.</param>
public sealed record SecAggSimulation(
    SecAggResult? Result,
    SecAggFailure? Failure,
    SecAggCosts Costs,
    IReadOnlyDictionary<int, SecAggFailure> ClientAborts)
{
    public bool Succeeded => Result is not null;
}

/// <summary>
/// Runs a whole secure-aggregation round in process, one client after another, passing every message through its
/// <see cref="SecAggWire"/> encoding, and accounts bytes and time per party and round. For tests and benchmarks.
/// </summary>
public static class SecAggSimulator
{
    /// <param name="parameters">The round.</param>
    /// <param name="updates">Client id → its update of length P (called once per surviving client, in round 2, untimed).</param>
    /// <param name="dropout">Who drops and when (default nobody).</param>
    /// <param name="faults">Misbehaviour to inject (default none).</param>
    /// <param name="randomSeed">When set, every client draws its keys and seeds from a <see cref="SeededRandomNumberGenerator"/>
    /// derived from this seed, so the run is reproducible; otherwise from the system's cryptographic generator.</param>
    public static SecAggSimulation Run(SecAggParameters parameters, Func<int, float[]> updates, SecAggDropout? dropout = null,
        SecAggFaults? faults = null, long? randomSeed = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(updates);
        dropout ??= SecAggDropout.None;
        faults ??= new SecAggFaults();
        var n = parameters.ClientCount;
        var costs = new SecAggCosts(n);
        var aborts = new SortedDictionary<int, SecAggFailure>();
        var randoms = new List<SeededRandomNumberGenerator>();
        var clients = new SecAggClient[n];
        for (var i = 0; i < n; i++)
        {
            SeededRandomNumberGenerator? random = null;
            if (randomSeed is { } seed) randoms.Add(random = new SeededRandomNumberGenerator(seed, $"SecAggSimulator/client/{i}"));
            clients[i] = new SecAggClient(parameters, i, new SecAggClientOptions
            {
                Random = random,
                OffPolynomialShareHolders = faults.OffPolynomialShares.TryGetValue(i, out var holders) ? holders : [],
            });
        }
        using var server = new SecAggServer(parameters);
        var alive = new SortedSet<int>(Enumerable.Range(0, n));
        var dropping = new HashSet<int>(dropout.Clients);
        try
        {
            // Round 0.
            foreach (var i in alive)
            {
                var message = Client(costs, i, SecAggRound.AdvertiseKeys, () => clients[i].AdvertiseKeys());
                ToServer(costs, i, SecAggRound.AdvertiseKeys, message, m => server.ReceiveAdvertiseKeys((AdvertiseKeys)m));
            }
            var directories = Server(costs, SecAggRound.AdvertiseKeys, server.CloseAdvertiseKeys);
            if (dropout.Stage == DropoutStage.BeforeShareKeys) alive.ExceptWith(dropping);

            // Round 1.
            foreach (var directory in directories)
            {
                var i = directory.RecipientId;
                if (!alive.Contains(i)) continue;
                var received = ToClient<KeyDirectory>(costs, i, SecAggRound.ShareKeys, directory);
                var message = TryClient(costs, i, SecAggRound.ShareKeys, () => clients[i].ShareKeys(received), alive, aborts);
                if (message is null) continue;
                if (faults.CorruptedShareCiphertexts.TryGetValue(i, out var corrupted)) message = CorruptCiphertexts(message, corrupted);
                ToServer(costs, i, SecAggRound.ShareKeys, message, m => server.ReceiveShareKeys((ShareKeys)m));
            }
            var deliveries = Server(costs, SecAggRound.ShareKeys, server.CloseShareKeys);
            if (dropout.Stage == DropoutStage.BeforeMaskedInput) alive.ExceptWith(dropping);

            // Round 2.
            foreach (var delivery in deliveries)
            {
                var i = delivery.RecipientId;
                if (!alive.Contains(i)) continue;
                var received = ToClient<ShareDelivery>(costs, i, SecAggRound.MaskedInput, delivery);
                var update = updates(i);
                var message = TryClient(costs, i, SecAggRound.MaskedInput, () => clients[i].MaskInput(received, update), alive, aborts);
                if (message is null) continue;
                ToServer(costs, i, SecAggRound.MaskedInput, message, m => server.ReceiveMaskedInput((MaskedInput)m));
            }
            var requests = Server(costs, SecAggRound.MaskedInput, server.CloseMaskedInput);
            if (dropout.Stage == DropoutStage.BeforeUnmasking) alive.ExceptWith(dropping);

            // Round 3.
            foreach (var request in requests)
            {
                var i = request.RecipientId;
                if (!alive.Contains(i)) continue;
                var received = ToClient<UnmaskingRequest>(costs, i, SecAggRound.Unmasking, request);
                var message = TryClient(costs, i, SecAggRound.Unmasking, () => clients[i].Unmask(received), alive, aborts);
                if (message is null) continue;
                if (faults.CorruptedRevealedShares.TryGetValue(i, out var dealers)) message = CorruptRevealed(message, dealers);
                ToServer(costs, i, SecAggRound.Unmasking, message, m => server.ReceiveUnmaskingResponse((UnmaskingResponse)m));
            }
            var result = Server(costs, SecAggRound.Unmasking, server.Finish);
            return new SecAggSimulation(result, null, costs, aborts);
        }
        catch (SecAggAbortedException failure)
        {
            return new SecAggSimulation(null, failure.ToFailure(), costs, aborts);
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
            foreach (var random in randoms) random.Dispose();
        }
    }

    private static T Client<T>(SecAggCosts costs, int client, SecAggRound round, Func<T> step)
    {
        var start = ThreadCpuClock.Now();
        var result = step();
        costs.AddClientNanoseconds(client, round, ThreadCpuClock.Now() - start);
        return result;
    }

    /// <summary>Runs a client step; a client that aborts leaves the round (it counts as dropped).</summary>
    private static T? TryClient<T>(SecAggCosts costs, int client, SecAggRound round, Func<T> step, SortedSet<int> alive,
        IDictionary<int, SecAggFailure> aborts) where T : class
    {
        var start = ThreadCpuClock.Now();
        try
        {
            return step();
        }
        catch (SecAggAbortedException abort)
        {
            alive.Remove(client);
            aborts[client] = abort.ToFailure();
            return null;
        }
        finally
        {
            costs.AddClientNanoseconds(client, round, ThreadCpuClock.Now() - start);
        }
    }

    private static T Server<T>(SecAggCosts costs, SecAggRound round, Func<T> step)
    {
        var start = ThreadCpuClock.Now();
        try
        {
            return step();
        }
        finally
        {
            costs.AddServerNanoseconds(round, ThreadCpuClock.Now() - start);
        }
    }

    /// <summary>The client encodes (its time), the bytes are counted, the server decodes and handles the message (its time).</summary>
    private static void ToServer(SecAggCosts costs, int client, SecAggRound round, ISecAggMessage message, Func<ISecAggMessage, bool> receive)
    {
        var start = ThreadCpuClock.Now();
        var bytes = SecAggWire.Encode(message);
        costs.AddClientNanoseconds(client, round, ThreadCpuClock.Now() - start);
        costs.AddSent(client, round, bytes.Length);
        start = ThreadCpuClock.Now();
        receive(SecAggWire.Decode(bytes));
        costs.AddServerNanoseconds(round, ThreadCpuClock.Now() - start);
    }

    /// <summary>The server encodes (its time), the bytes are counted, the client decodes (its time).</summary>
    private static T ToClient<T>(SecAggCosts costs, int client, SecAggRound round, ISecAggMessage message) where T : ISecAggMessage
    {
        var start = ThreadCpuClock.Now();
        var bytes = SecAggWire.Encode(message);
        costs.AddServerNanoseconds(round, ThreadCpuClock.Now() - start);
        costs.AddReceived(client, round, bytes.Length);
        start = ThreadCpuClock.Now();
        var decoded = SecAggWire.Decode<T>(bytes);
        costs.AddClientNanoseconds(client, round, ThreadCpuClock.Now() - start);
        return decoded;
    }

    private static ShareKeys CorruptCiphertexts(ShareKeys message, IReadOnlyCollection<int> holders) => message with
    {
        Shares = [.. message.Shares.Select(s => holders.Contains(s.HolderId) ? s with { Ciphertext = Flipped(s.Ciphertext) } : s)],
    };

    private static UnmaskingResponse CorruptRevealed(UnmaskingResponse message, IReadOnlyCollection<int> dealers) => message with
    {
        SelfMaskShares = [.. message.SelfMaskShares.Select(s => dealers.Contains(s.DealerId) ? s with { Share = Flipped(s.Share) } : s)],
        MaskingKeyShares = [.. message.MaskingKeyShares.Select(s => dealers.Contains(s.DealerId) ? s with { Share = Flipped(s.Share) } : s)],
    };

    private static byte[] Flipped(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        copy[0] ^= 0x01;
        return copy;
    }
}
