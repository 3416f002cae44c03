using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Privacy.Dp;

/// <summary>
/// Standard normal draws from a <see cref="RandomNumberGenerator"/>: the noise of the Gaussian mechanism in DP-FedAvg and DP-SGD.
/// </summary>
/// <remarks>Design notes: docs/privacy.md, "Notes: GaussianNoise".</remarks>
public sealed class GaussianNoise : IDisposable
{
    private const int Pairs = 1024;
    private const double TwoToMinus53 = 1.0 / 9_007_199_254_740_992.0;

    private readonly RandomNumberGenerator _source;
    private readonly bool _ownsSource;
    private readonly byte[] _bytes = new byte[Pairs * 2 * sizeof(ulong)];
    private readonly double[] _radius = new double[Pairs];
    private readonly double[] _angle = new double[Pairs];
    private readonly double[] _sin = new double[Pairs];
    private readonly double[] _cos = new double[Pairs];
    private readonly double[] _ready = new double[Pairs * 2];
    private int _next = Pairs * 2;

    /// <param name="source">The random bytes.</param>
    /// <param name="ownsSource">Whether <see cref="Dispose"/> disposes <paramref name="source"/>.</param>
    public GaussianNoise(RandomNumberGenerator source, bool ownsSource = true)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _ownsSource = ownsSource;
    }

    /// <summary>Noise from the operating system's CSPRNG: what a deployment uses.</summary>
    public static GaussianNoise CreateSecure() => new(RandomNumberGenerator.Create());

    /// <summary>Reproducible noise: the AES-CTR stream keyed from <paramref name="seed"/> and <paramref name="purpose"/> (simulations and tests only).</summary>
    /// <param name="purpose">Separates streams drawn from one seed (for example one per round), so they are independent.</param>
    public static GaussianNoise FromSeed(long seed, string purpose) =>
        new(new SeededRandomNumberGenerator(seed, "dp-noise/" + purpose));

    /// <summary>One draw from N(0, 1).</summary>
    public double NextStandard()
    {
        if (_next == _ready.Length) Refill();
        return _ready[_next++];
    }

    /// <summary>One draw from N(0, <paramref name="standardDeviation"/>²).</summary>
    public double Next(double standardDeviation) => CheckDeviation(standardDeviation) * NextStandard();

    /// <summary>Adds an independent N(0, <paramref name="standardDeviation"/>²) draw to every element of <paramref name="values"/>.</summary>
    /// <remarks>A deviation of 0 leaves the values alone and draws nothing.</remarks>
    public void AddTo(Span<float> values, double standardDeviation)
    {
        CheckDeviation(standardDeviation);
        if (standardDeviation == 0) return;
        while (values.Length > 0)
        {
            if (_next == _ready.Length) Refill();
            var take = Math.Min(values.Length, _ready.Length - _next);
            var draws = _ready.AsSpan(_next, take);
            for (var i = 0; i < take; i++) values[i] = (float)(values[i] + standardDeviation * draws[i]);
            _next += take;
            values = values[take..];
        }
    }

    /// <summary>Overwrites every element of <paramref name="values"/> with an independent N(0, <paramref name="standardDeviation"/>²) draw.</summary>
    public void Fill(Span<float> values, double standardDeviation)
    {
        values.Clear();
        CheckDeviation(standardDeviation);
        if (standardDeviation == 0) return;
        AddTo(values, standardDeviation);
    }

    public void Dispose()
    {
        if (_ownsSource) _source.Dispose();
    }

    private static double CheckDeviation(double standardDeviation) =>
        standardDeviation >= 0 && double.IsFinite(standardDeviation)
            ? standardDeviation
            : throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "A noise standard deviation must be finite and at least 0.");

    private void Refill()
    {
        _source.GetBytes(_bytes);
        for (var i = 0; i < Pairs; i++)
        {
            var first = BinaryPrimitives.ReadUInt64LittleEndian(_bytes.AsSpan(16 * i)) >> 11;
            var second = BinaryPrimitives.ReadUInt64LittleEndian(_bytes.AsSpan(16 * i + 8)) >> 11;
            _radius[i] = (first + 1) * TwoToMinus53; // (0, 1]
            _angle[i] = second * TwoToMinus53 * 2; // 2u₂ ∈ [0, 2): the argument of sinπ and cosπ
        }
        TensorPrimitives.Log<double>(_radius, _radius);
        TensorPrimitives.Multiply<double>(_radius, -2.0, _radius);
        TensorPrimitives.Sqrt<double>(_radius, _radius);
        // Two calls: SinCosPi is not vectorised for double (about 8 ns an element here), SinPi and CosPi are (about 2 ns).
        TensorPrimitives.SinPi<double>(_angle, _sin);
        TensorPrimitives.CosPi<double>(_angle, _cos);
        for (var i = 0; i < Pairs; i++)
        {
            _ready[2 * i] = _radius[i] * _cos[i];
            _ready[2 * i + 1] = _radius[i] * _sin[i];
        }
        _next = 0;
    }
}
