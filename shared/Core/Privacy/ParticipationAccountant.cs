namespace FlMicroservices.Core.Privacy;

/// <summary>
/// Per-client Rényi DP accounting without amplification by subsampling: every release a client contributed to charges that
/// client one Gaussian mechanism with noise multiplier z (sensitivity: one clipped update), so a client's ε follows from the
/// number of releases it was in. FedBuff's accountant, where who lands in a buffer is not a random sample (docs/fedbuff.md,
/// "Privacy").
/// </summary>
/// <remarks>Not thread-safe: one caller charges releases in order.</remarks>
public sealed class ParticipationAccountant
{
    private readonly double[] _orders;
    private readonly double[] _perRelease;
    private readonly Dictionary<string, int> _participations = new(StringComparer.Ordinal);

    /// <param name="noiseMultiplier">z: the noise's standard deviation over the sensitivity of one release.</param>
    /// <param name="orders">The RDP orders (default <see cref="RdpAccountant.DefaultOrders"/>).</param>
    /// <param name="conversion">How RDP converts to (ε, δ).</param>
    /// <exception cref="ArgumentOutOfRangeException">z is not a finite number greater than 0, or an order is not finite and above 1.</exception>
    public ParticipationAccountant(double noiseMultiplier, IEnumerable<double>? orders = null, RdpConversionMethod conversion = RdpConversionMethod.Balle2020)
    {
        if (!(noiseMultiplier > 0) || !double.IsFinite(noiseMultiplier))
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise multiplier must be a finite number greater than 0.");
        if (!Enum.IsDefined(conversion)) throw new ArgumentOutOfRangeException(nameof(conversion), conversion, "Unknown RDP conversion.");
        _orders = (orders ?? RdpAccountant.DefaultOrders).ToArray();
        if (_orders.Length == 0) throw new ArgumentException("At least one RDP order is needed.", nameof(orders));
        foreach (var order in _orders) RdpMath.ValidateOrder(order);
        // Sampling rate 1: the Gaussian mechanism itself, α / (2 z²) at each order.
        _perRelease = RdpMath.SampledGaussianRdp(1.0, noiseMultiplier, _orders);
        NoiseMultiplier = noiseMultiplier;
        Conversion = conversion;
    }

    public double NoiseMultiplier { get; }
    public RdpConversionMethod Conversion { get; }

    /// <summary>Releases charged so far.</summary>
    public int Releases { get; private set; }

    /// <summary>The most releases any one client was in: the count behind <see cref="Spent"/>.</summary>
    public int MaxParticipations { get; private set; }

    /// <summary>Clients charged at least once.</summary>
    public int Clients => _participations.Count;

    /// <summary>The releases <paramref name="clientId"/> was in (0 for a client never charged).</summary>
    public int Participations(string clientId) => _participations.GetValueOrDefault(clientId);

    /// <summary>Charges one release to each of its <paramref name="contributors"/>.</summary>
    /// <exception cref="ArgumentException">A client appears twice: a release's sensitivity is one update per client.</exception>
    public void Charge(IReadOnlyCollection<string> contributors)
    {
        ArgumentNullException.ThrowIfNull(contributors);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var client in contributors)
        {
            ArgumentNullException.ThrowIfNull(client, nameof(contributors));
            if (!seen.Add(client))
                throw new ArgumentException($"Client {client} appears twice in one release; its sensitivity covers one update per client.", nameof(contributors));
        }
        foreach (var client in contributors)
        {
            var count = _participations.GetValueOrDefault(client) + 1;
            _participations[client] = count;
            MaxParticipations = Math.Max(MaxParticipations, count);
        }
        Releases++;
    }

    /// <summary>(ε, δ) of a client that was in <paramref name="participations"/> releases: that many Gaussian mechanisms composed in RDP.</summary>
    public PrivacySpent EpsilonAfter(int participations, double delta)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(participations);
        var rdp = new double[_orders.Length];
        for (var i = 0; i < rdp.Length; i++) rdp[i] = participations * _perRelease[i];
        return RdpConversion.ToEpsilon(_orders, rdp, delta, Conversion);
    }

    /// <summary>ε of <paramref name="clientId"/> so far.</summary>
    public PrivacySpent EpsilonOf(string clientId, double delta) => EpsilonAfter(Participations(clientId), delta);

    /// <summary>The guarantee every client has: ε of the client in the most releases.</summary>
    public PrivacySpent Spent(double delta) => EpsilonAfter(MaxParticipations, delta);

    /// <summary>The most releases one client may be in and stay within <paramref name="budget"/> at <paramref name="delta"/> (0: not even one).</summary>
    public int MaxParticipationsWithin(double budget, double delta)
    {
        if (!(budget > 0) || !double.IsFinite(budget)) throw new ArgumentOutOfRangeException(nameof(budget), budget, "The budget must be a finite number greater than 0.");
        if (EpsilonAfter(1, delta).Epsilon > budget) return 0;
        // ε grows with the count: double an upper bound, then bisect.
        int low = 1, high = 2;
        while (EpsilonAfter(high, delta).Epsilon <= budget)
        {
            low = high;
            if (high > int.MaxValue / 2) return high;
            high *= 2;
        }
        while (high - low > 1)
        {
            var middle = low + (high - low) / 2;
            if (EpsilonAfter(middle, delta).Epsilon <= budget) low = middle;
            else high = middle;
        }
        return low;
    }

    /// <summary>True when one more release with <paramref name="clientId"/> in it keeps that client within <paramref name="budget"/>.</summary>
    public bool CanParticipate(string clientId, double budget, double delta) => EpsilonAfter(Participations(clientId) + 1, delta).Epsilon <= budget;
}
