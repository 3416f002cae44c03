namespace FlMicroservices.Core.Privacy;

/// <summary>
/// Privacy accountant for the Poisson-subsampled Gaussian mechanism in Rényi DP (Mironov 2017): each
/// <see cref="Step"/> adds that mechanism's RDP curve (<see cref="RdpMath"/>) to the running total, because RDP at a
/// fixed order composes additively across steps and across different settings; <see cref="GetEpsilon"/> converts
/// the total into (ε, δ)-DP with <see cref="RdpConversion"/>.
/// </summary>
/// <remarks>Not thread-safe: one accountant per training task, or <see cref="Clone"/> it.</remarks>
public sealed class RdpAccountant
{
    /// <summary>
    /// The orders Opacus's RDP accountant uses by default (and TensorFlow Privacy's tutorials):
    /// [1 + x/10 for x in 1..99] + [12, 13, …, 63], i.e. 1.1, 1.2, …, 10.9 then the integers 12 to 63 (151 orders).
    /// </summary>
    public static IReadOnlyList<double> DefaultOrders { get; } = CreateDefaultOrders();

    private readonly double[] _orders;
    private readonly double[] _rdp;
    private readonly List<AccountedSteps> _spent;

    /// <summary>An empty accountant over <paramref name="orders"/> (default <see cref="DefaultOrders"/>), each finite and &gt; 1.</summary>
    public RdpAccountant(IEnumerable<double>? orders = null, RdpConversionMethod conversion = RdpConversionMethod.Balle2020)
    {
        _orders = (orders ?? DefaultOrders).ToArray();
        if (_orders.Length == 0) throw new ArgumentException("At least one RDP order is needed.", nameof(orders));
        foreach (var order in _orders)
        {
            if (!(order > 1) || double.IsPositiveInfinity(order))
                throw new ArgumentOutOfRangeException(nameof(orders), order, "Every RDP order α must be finite and greater than 1.");
        }
        if (!Enum.IsDefined(conversion))
            throw new ArgumentOutOfRangeException(nameof(conversion), conversion, "Unknown RDP conversion.");
        Conversion = conversion;
        _rdp = new double[_orders.Length];
        _spent = [];
    }

    private RdpAccountant(RdpAccountant source)
    {
        _orders = source._orders; // never mutated
        Conversion = source.Conversion;
        _rdp = (double[])source._rdp.Clone();
        _spent = [.. source._spent];
    }

    /// <summary>The RDP orders α this accountant tracks.</summary>
    public IReadOnlyList<double> Orders => _orders;

    /// <summary>How <see cref="GetEpsilon"/> converts RDP to (ε, δ).</summary>
    public RdpConversionMethod Conversion { get; }

    /// <summary>What has been composed so far, in order; consecutive steps with the same setting are merged into one entry.</summary>
    public IReadOnlyList<AccountedSteps> Spent => _spent;

    /// <summary>Composes <paramref name="steps"/> runs of the sampled Gaussian mechanism with noise multiplier σ ≥ 0 and sampling rate q ∈ [0, 1].</summary>
    public void Step(double noiseMultiplier, double sampleRate, int steps = 1)
    {
        RdpMath.ValidateMechanism(sampleRate, noiseMultiplier);
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The number of steps must be at least 0.");
        if (steps == 0) return;

        var perStep = RdpMath.SampledGaussianRdp(sampleRate, noiseMultiplier, _orders);
        for (var i = 0; i < _rdp.Length; i++)
        {
            // 0·∞ cannot occur (steps > 0); ∞ stays ∞.
            _rdp[i] += steps * perStep[i];
        }

        if (_spent.Count > 0 && _spent[^1].NoiseMultiplier == noiseMultiplier && _spent[^1].SampleRate == sampleRate
            && _spent[^1].Steps <= int.MaxValue - steps)
        {
            _spent[^1] = _spent[^1] with { Steps = _spent[^1].Steps + steps };
        }
        else
        {
            _spent.Add(new AccountedSteps(noiseMultiplier, sampleRate, steps));
        }
    }

    /// <summary>The composed RDP ε(α) at each of <see cref="Orders"/> (a copy).</summary>
    public double[] GetRdp() => (double[])_rdp.Clone();

    /// <summary>The smallest ε over <see cref="Orders"/> such that everything composed so far is (ε, δ)-DP, with the order that gives it.</summary>
    public PrivacySpent GetEpsilon(double delta) => RdpConversion.ToEpsilon(_orders, _rdp, delta, Conversion);

    /// <summary>An independent copy: stepping either one leaves the other unchanged.</summary>
    public RdpAccountant Clone() => new(this);

    private static double[] CreateDefaultOrders()
    {
        var orders = new List<double>(151);
        for (var x = 1; x <= 99; x++) orders.Add(1 + x / 10.0);
        for (var order = 12; order <= 63; order++) orders.Add(order);
        return [.. orders];
    }
}
