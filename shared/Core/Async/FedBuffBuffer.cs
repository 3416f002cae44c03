using System.Numerics.Tensors;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Async;

/// <summary>
/// FedBuff's server (Nguyen et al. 2022): buffers client deltas, each weighted by its staleness and example count, and every
/// <see cref="BufferSize"/> accepted updates moves the model by the server learning rate times Σ w(s_i) n_i Δ_i / Σ n_i (docs/fedbuff.md).
/// </summary>
/// <remarks>
/// Not thread-safe: one caller feeds it updates in arrival order. With <see cref="FedBuffPrivacy"/> it is DP-FedAvg's
/// release per version: each update clipped and weighted 1, one per client, Gaussian noise on the mean (docs/fedbuff.md, "Privacy").
/// </remarks>
public sealed class FedBuffBuffer
{
    /// <summary>Staleness weights are folded as whole multiples of 2^-12 (the exact sums take whole-number weights).</summary>
    public const double WeightUnits = 4_096;

    /// <summary>The most examples one update may weigh: its weight, examples times units, stays a valid whole-number weight.</summary>
    public const long MaxExamples = (long)(WeightedSliceSums.MaxWeight / WeightUnits);

    /// <summary>The largest buffer.</summary>
    public const int MaxBufferSize = 100_000;

    /// <summary>The sums' fixed point: 2^-20, leaving 2^43 / (2^12 Σ n_i) of range for a coordinate's sum.</summary>
    private const int FractionBits = 20;

    private readonly float[] _model;
    private readonly float[] _mean;
    private readonly float[] _zeros;
    private readonly int _sliceElements;
    private readonly FedBuffPrivacy? _privacy;
    private readonly float[]? _clipped;
    private readonly List<string> _clients = [];
    private readonly HashSet<string> _clientSet = new(StringComparer.Ordinal);
    private WeightedSliceSums _sums;
    private long _bufferedUnits;
    private long _fullUnits;

    /// <param name="initialModel">Version 0 of the model.</param>
    /// <param name="bufferSize">K: accepted updates per new version.</param>
    /// <param name="maxStaleness">Updates more than this many versions behind are dropped; null: none is.</param>
    /// <param name="weighting">Weight of an update by its staleness.</param>
    /// <param name="serverLearningRate">η_g: the new model is x + η_g Σ w(s_i) n_i Δ_i / Σ n_i.</param>
    /// <param name="privacy">Central differential privacy for every version; null: none.</param>
    public FedBuffBuffer(ReadOnlySpan<float> initialModel, int bufferSize, int? maxStaleness, IStalenessWeighting weighting, double serverLearningRate = 1.0,
        FedBuffPrivacy? privacy = null)
    {
        ArgumentNullException.ThrowIfNull(weighting);
        if (initialModel.IsEmpty) throw new ArgumentException("The model must hold at least one value.", nameof(initialModel));
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bufferSize, MaxBufferSize);
        if (maxStaleness is { } limit) ArgumentOutOfRangeException.ThrowIfNegative(limit, nameof(maxStaleness));
        if (!(serverLearningRate > 0) || !double.IsFinite(serverLearningRate))
            throw new ArgumentOutOfRangeException(nameof(serverLearningRate), serverLearningRate, "The server learning rate must be a finite number greater than 0.");
        _model = initialModel.ToArray();
        _mean = new float[_model.Length];
        _sliceElements = Math.Min(_model.Length, 1 << 16);
        _zeros = new float[_sliceElements];
        _sums = NewSums();
        BufferSize = bufferSize;
        MaxStaleness = maxStaleness;
        Weighting = weighting;
        ServerLearningRate = serverLearningRate;
        _privacy = privacy?.Validate();
        _clipped = privacy is null ? null : new float[_model.Length];
    }

    public int BufferSize { get; }
    public int? MaxStaleness { get; }
    public IStalenessWeighting Weighting { get; }
    public double ServerLearningRate { get; }
    public FedBuffPrivacy? Privacy => _privacy;

    /// <summary>The current version: 0 at the start, one more after every flush.</summary>
    public int Version { get; private set; }

    /// <summary>The current version's model.</summary>
    public ReadOnlySpan<float> Model => _model;

    /// <summary>Updates buffered towards the next version.</summary>
    public int Buffered { get; private set; }

    /// <summary>True when <paramref name="clientId"/> has an update buffered towards the next version.</summary>
    public bool Holds(string clientId) => _clientSet.Contains(clientId);

    /// <summary>The weight an update of this staleness is folded with: the weighting's value rounded to a whole number of 2^-12 (at least one).</summary>
    public double QuantisedWeight(int staleness) => Units(staleness) / WeightUnits;

    /// <summary>Buffers <paramref name="delta"/> (a model trained from version <paramref name="baseVersion"/> on <paramref name="examples"/> examples, minus that version), or drops it with the reason.</summary>
    /// <remarks>
    /// With every update's <paramref name="examples"/> equal (1 by default) the step is the paper's (1/K) Σ w(s_i) Δ_i. With
    /// <see cref="Privacy"/>, examples are ignored (every update weighs 1), the delta is clipped, a second update from a
    /// client already in the buffer is dropped, and a delta that is not finite is folded as zero, so that which updates make
    /// a version never depends on their values.
    /// </remarks>
    /// <exception cref="ArgumentException">The delta's length is not the model's.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="examples"/> is not in [1, <see cref="MaxExamples"/>].</exception>
    public BufferOutcome Add(string clientId, int baseVersion, ReadOnlySpan<float> delta, long examples = 1)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(examples, MaxExamples);
        if (delta.Length != _model.Length)
            throw new ArgumentException($"Client {clientId}'s delta holds {delta.Length} values; the model has {_model.Length}.", nameof(delta));
        var staleness = Version - baseVersion;
        if (baseVersion < 0 || staleness < 0)
            return BufferOutcome.Dropped(staleness, $"base version {baseVersion} does not exist (the current version is {Version})");
        if (staleness > MaxStaleness)
            return BufferOutcome.Dropped(staleness, $"staleness {staleness} exceeds the limit of {MaxStaleness} versions");
        string? note = null;
        if (_privacy is { } dp)
        {
            if (_clientSet.Contains(clientId))
                return BufferOutcome.Dropped(staleness, $"client {clientId} already has an update in this buffer (differential privacy counts one update per client per version)");
            examples = 1;
            note = Clip(delta, dp.ClipNorm, _clipped!);
            delta = _clipped;
        }
        var units = Units(staleness);
        if (FoldOrProblem(delta, units * examples) is { } problem) return BufferOutcome.Dropped(staleness, problem);
        _bufferedUnits += units * examples;
        _fullUnits += (long)WeightUnits * examples;
        Buffered++;
        _clients.Add(clientId);
        _clientSet.Add(clientId);
        if (Buffered < BufferSize) return new BufferOutcome(true, staleness, units / WeightUnits, null, null) { Note = note };
        var contributors = _clients.ToArray();
        var noiseStd = Flush();
        return new BufferOutcome(true, staleness, units / WeightUnits, Version, null) { Note = note, Contributors = contributors, NoiseStd = noiseStd };
    }

    // Clip(Δ) = Δ min(1, C / ‖Δ‖) into clipped; a delta that is not finite becomes zero (its norm is not defined).
    private static string? Clip(ReadOnlySpan<float> delta, double clipNorm, Span<float> clipped)
    {
        var squares = 0.0;
        foreach (var value in delta) squares += (double)value * value;
        if (!double.IsFinite(squares))
        {
            clipped.Clear();
            foreach (var value in delta)
                if (!float.IsFinite(value)) return "its values were not finite: folded as zero";
            // Finite values whose squares overflow a double cannot occur for float32; kept for safety.
            return "its norm is not finite: folded as zero";
        }
        var norm = Math.Sqrt(squares);
        var scale = norm > clipNorm ? clipNorm / norm : 1.0;
        TensorPrimitives.Multiply(delta, (float)scale, clipped);
        return null;
    }

    private long Units(int staleness)
    {
        var weight = Weighting.Weight(staleness);
        if (!(weight > 0 && weight <= 1))
            throw new InvalidOperationException($"Staleness weighting {Weighting.Name} gave {weight} at staleness {staleness}; a weight must be in (0, 1].");
        return Math.Max(1, (long)Math.Round(weight * WeightUnits, MidpointRounding.ToEven));
    }

    // Folds every slice or none: a slice that cannot be folded (not finite, out of the sums' range) takes back those before it.
    private string? FoldOrProblem(ReadOnlySpan<float> delta, long units)
    {
        var folded = 0;
        try
        {
            for (; folded < _sums.SliceCount; folded++)
                _sums.Fold(folded, Slice(delta, folded), units);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            for (var i = 0; i < folded; i++) _sums.Unfold(i, Slice(delta, i), units);
            return e is OverflowException ? "its values are too large for exact aggregation" : "it holds NaN or infinite values";
        }
    }

    private ReadOnlySpan<float> Slice(ReadOnlySpan<float> values, int slice) => values.Slice(slice * _sliceElements, _sums.SliceLength(slice));

    // Makes the next version; returns the noise's standard deviation on the mean (0 without privacy).
    private double Flush()
    {
        // The weights' shortfall from fresh updates is folded as a zero delta, so the exact mean divides by Σ n_i, not by Σ w_i n_i.
        for (var shortfall = _fullUnits - _bufferedUnits; shortfall > 0; shortfall -= (long)WeightedSliceSums.MaxWeight)
        {
            var part = Math.Min(shortfall, (long)WeightedSliceSums.MaxWeight);
            for (var i = 0; i < _sums.SliceCount; i++) _sums.Fold(i, _zeros.AsSpan(0, _sums.SliceLength(i)), part);
        }
        _sums.WriteMean(_mean);
        var noiseStd = 0.0;
        if (_privacy is { } dp)
        {
            // Σ w_i clip(Δ_i) changes by at most C (w_i ≤ 1) when one client's update is zeroed; the mean divides it by K.
            noiseStd = dp.NoiseMultiplier * dp.ClipNorm / BufferSize;
            dp.Noise.AddTo(_mean, noiseStd);
        }
        TensorPrimitives.MultiplyAdd(_mean, (float)ServerLearningRate, _model, _model);
        _sums.Release();
        _sums = NewSums();
        _bufferedUnits = 0;
        _fullUnits = 0;
        Buffered = 0;
        _clients.Clear();
        _clientSet.Clear();
        Version++;
        return noiseStd;
    }

    private WeightedSliceSums NewSums() => new(_model.Length, _sliceElements, FractionBits, AccumulatorPool.Shared);
}
