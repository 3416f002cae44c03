using System.Globalization;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Planning;

namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// SCAFFOLD (Karimireddy et al. 2020, "SCAFFOLD: Stochastic Controlled Averaging for Federated Learning", Algorithm 1),
/// the server side: the model moves by the mean of the clients' model deltas (unweighted as in the paper, or weighted by
/// example counts), and the server control variate c moves by the clients' control-variate deltas summed and divided by
/// the total number of clients N.
/// </summary>
/// <remarks>Design notes: docs/scaffold.md, "Notes: Scaffold".</remarks>
public sealed class Scaffold : IAggregationStrategy, IRoundConfigurator
{
    public const double DefaultServerLearningRate = 1.0;

    /// <summary>"server-lr": η_g.</summary>
    public const string ServerLearningRateParameter = "server-lr";

    /// <summary>"scaffold-total-clients": where RoundStarted.StrategyParameters carried N before <see cref="RoundSettings"/> (read from old messages only).</summary>
    public const string TotalClientsParameter = "scaffold-total-clients";

    /// <summary>"scaffold-weighting": "uniform" (default) or "examples", how the model deltas are averaged.</summary>
    public const string WeightingParameter = "scaffold-weighting";

    /// <param name="serverLearningRate">η_g; finite and greater than 0.</param>
    /// <param name="totalClients">N, at least 1; null when not known yet (rounds then cannot finish).</param>
    /// <param name="weighting">How the model deltas are averaged (see the remarks).</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range (the exception names it).</exception>
    public Scaffold(double serverLearningRate = DefaultServerLearningRate, int? totalClients = null,
        ScaffoldWeighting weighting = ScaffoldWeighting.Uniform)
    {
        if (!Enum.IsDefined(weighting)) throw new ArgumentOutOfRangeException(nameof(weighting), weighting, "weighting is unknown.");
        Weighting = weighting;
        ServerLearningRate = StrategyArgument.Positive(serverLearningRate, nameof(serverLearningRate));
        if (totalClients is < 1)
            throw new ArgumentOutOfRangeException(nameof(totalClients), totalClients, "totalClients must be at least 1.");
        TotalClients = totalClients;
    }

    public string Name => ScaffoldLayout.StrategyName;

    /// <summary>η_g, the server learning rate on the x part.</summary>
    public double ServerLearningRate { get; }

    /// <summary>N, the total number of clients, or null when the parameters did not carry it.</summary>
    public int? TotalClients { get; }

    /// <summary>How the model deltas are averaged: uniformly over clients (the paper) or by example counts (FedAvg).</summary>
    public ScaffoldWeighting Weighting { get; }

    /// <param name="parameterCount">2P: the stored model [x ; c]; must be even.</param>
    /// <exception cref="ArgumentException"><paramref name="parameterCount"/> is odd.</exception>
    public IRoundAggregator BeginRound(int parameterCount, int sliceElements)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sliceElements);
        return new Round(this, ScaffoldLayout.WeightCount(parameterCount), sliceElements);
    }

    /// <summary>Creates the strategy from the task's text parameters ("server-lr", "scaffold-weighting"; invariant culture) and N.</summary>
    /// <param name="totalClients">N from the round plan; null when not known (rounds then cannot finish).</param>
    /// <exception cref="ArgumentException">A parameter does not parse or is out of range; the message names it.</exception>
    public static Scaffold FromParameters(IReadOnlyDictionary<string, string>? parameters, int? totalClients = null)
    {
        parameters ??= new Dictionary<string, string>();
        var rate = DefaultServerLearningRate;
        if (parameters.TryGetValue(ServerLearningRateParameter, out var text))
        {
            if (text is null || !double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out rate) || !double.IsFinite(rate))
                throw new ArgumentException($"Parameter '{ServerLearningRateParameter}' = '{text}' of strategy 'scaffold' is not a finite number.", nameof(parameters));
            if (!(rate > 0))
                throw new ArgumentException($"Parameter '{ServerLearningRateParameter}' = '{text}' of strategy 'scaffold' is out of range: it must be greater than 0.", nameof(parameters));
        }
        if (totalClients is < 1)
            throw new ArgumentException($"SCAFFOLD's number of clients N = {totalClients} must be at least 1.", nameof(totalClients));
        var weighting = ScaffoldWeighting.Uniform;
        if (parameters.TryGetValue(WeightingParameter, out var mode))
            weighting = mode?.Trim().ToLowerInvariant() switch
            {
                "uniform" => ScaffoldWeighting.Uniform,
                "examples" => ScaffoldWeighting.Examples,
                _ => throw new ArgumentException(
                    $"Parameter '{WeightingParameter}' = '{mode}' of strategy 'scaffold' must be 'uniform' (the paper's mean over clients) or 'examples' (weighted by example counts).",
                    nameof(parameters)),
            };
        return new Scaffold(rate, totalClients, weighting);
    }

    /// <summary>
    /// The strategy as <see cref="StrategyCatalog"/> creates it: <see cref="FromParameters"/> with the round plan's N, refusing
    /// the wrappers that do not make sense around SCAFFOLD (central DP-FedAvg and "max-norm": see the remarks).
    /// </summary>
    /// <exception cref="ArgumentException">A refused combination or a bad parameter; the message names it.</exception>
    public static Scaffold ForCatalog(IReadOnlyDictionary<string, string>? parameters, RoundSettings? settings = null)
    {
        if (settings?.CentralDp is not null)
            throw new ArgumentException(
                "Strategy 'scaffold' cannot run under central differential privacy: DP-FedAvg clips and noises each client's whole update, " +
                "control-variate delta included, and hands the strategy one privatized mean, while SCAFFOLD needs the unweighted sum of the " +
                "control-variate deltas next to the weighted mean of the model deltas (local DP, DP-SGD on the clients, does work with it).",
                nameof(parameters));
        if (parameters is not null && parameters.ContainsKey(NormBounding.Parameter))
            throw new ArgumentException(
                "Parameter 'max-norm' cannot be combined with strategy 'scaffold': bounding would scale each client's control-variate delta " +
                "with its model delta, and the server control variate would no longer be the mean of the clients' ones.", nameof(parameters));
        return FromParameters(parameters, settings?.TotalClients);
    }

    /// <summary>SCAFFOLD's round plan: N = the healthy clients sampled from, the model stored as [x ; c], and no proximal term.</summary>
    /// <exception cref="ArgumentException">The task asks for a proximal term (FedProx's μ).</exception>
    public RoundSettings Configure(RoundSettings settings, RoundContext round)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(round);
        if (settings.ProximalMu > 0)
            throw new ArgumentException(
                FormattableString.Invariant($"a proximal term (μ = {settings.ProximalMu}) cannot be combined with strategy 'scaffold': its clients' control variates assume plain SGD steps"),
                nameof(settings));
        return settings with { TotalClients = round.HealthyClients, ControlVariates = true };
    }

    /// <summary>N as an old RoundStarted carried it in "scaffold-total-clients".</summary>
    /// <exception cref="ArgumentException">Not a whole number of at least 1; the message names the key.</exception>
    public static int ParseTotalClients(string? text)
    {
        if (text is null || !int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
            throw new ArgumentException(
                $"Parameter '{TotalClientsParameter}' = '{text}' of strategy 'scaffold' must be a whole number of at least 1 (the number of clients N).", nameof(text));
        return n;
    }

    /// <summary>One round: exact sums of the x parts (weight 1 per client, or the example count) and of the c parts (weight 1 per client).</summary>
    private sealed class Round : IRoundAggregator, ICheckpointable, IRetractableRound
    {
        private readonly Scaffold _owner;
        private readonly int _weights; // P
        private readonly int _sliceElements;
        private readonly int _sliceCount; // slices of the 2P vector
        private readonly int _boundarySlice; // the slice holding element P: floor(P / s)
        private readonly int _boundaryOffset; // P - boundarySlice * s: how many x values that slice holds (0: no straddle)
        private WeightedSliceSums _x; // over P, in the 2P vector's slices
        private WeightedSliceSums _c; // over the 2P vector from boundarySlice * s on: slice k is slice boundarySlice + k
        private float[]? _scratch;
        private int _folded;
        private bool _finished;

        public Round(Scaffold owner, int weights, int sliceElements)
        {
            _owner = owner;
            _weights = weights;
            _sliceElements = sliceElements;
            var stored = 2L * weights;
            _sliceCount = (int)((stored + sliceElements - 1) / sliceElements);
            _boundarySlice = weights / sliceElements;
            _boundaryOffset = weights - _boundarySlice * sliceElements;
            _x = new WeightedSliceSums(weights, sliceElements);
            _c = new WeightedSliceSums(checked((int)(stored - (long)_boundarySlice * sliceElements)), sliceElements);
        }

        public int FoldedSlices => _folded;

        public void Fold(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight)
        {
            ArgumentNullException.ThrowIfNull(clientId);
            if (_finished) throw new InvalidOperationException("This SCAFFOLD round has finished; it takes no more updates.");
            var (start, modelWeight) = Check(sliceIndex, delta, weight);
            if (start + delta.Length <= _weights)
                _x.Fold(sliceIndex, delta, modelWeight);
            else if (start >= _weights)
                _c.Fold(sliceIndex - _boundarySlice, delta, 1);
            else
            {
                // The slice straddles the boundary: split it by element offset, all or nothing. Should the c half leave the
                // exact range, the x half is taken back (the same integer terms subtracted), so nothing changes.
                var padded = Padded(delta);
                _x.Fold(sliceIndex, delta[.._boundaryOffset], modelWeight);
                try { _c.Fold(0, padded, 1); }
                catch
                {
                    _x.Unfold(sliceIndex, delta[.._boundaryOffset], modelWeight);
                    throw;
                }
            }
            _folded++;
        }

        public void Retract(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight)
        {
            ArgumentNullException.ThrowIfNull(clientId);
            if (_finished) throw new InvalidOperationException("This SCAFFOLD round has finished; nothing can be taken back.");
            var (start, modelWeight) = Check(sliceIndex, delta, weight);
            if (start + delta.Length <= _weights)
                _x.Unfold(sliceIndex, delta, modelWeight);
            else if (start >= _weights)
                _c.Unfold(sliceIndex - _boundarySlice, delta, 1);
            else
            {
                if (_x.WeightOf(sliceIndex) < modelWeight || _c.WeightOf(0) < 1)
                    throw new ArgumentException($"Slice {sliceIndex} holds no fold of weight {weight} to take back.", nameof(weight));
                var padded = Padded(delta);
                _c.Unfold(0, padded, 1);
                try { _x.Unfold(sliceIndex, delta[.._boundaryOffset], modelWeight); }
                catch
                {
                    _c.Fold(0, padded, 1); // put the c half back: these values were not what was folded
                    throw;
                }
            }
            _folded--;
        }

        // Index, length, weight and (for the straddling slice, whose halves go to two accumulators) finiteness: everything
        // but the accumulators' own checks. Returns the slice's first element and the weight of its x values.
        private (long Start, double ModelWeight) Check(int sliceIndex, ReadOnlySpan<float> delta, double weight)
        {
            if ((uint)sliceIndex >= (uint)_sliceCount)
                throw new ArgumentOutOfRangeException(nameof(sliceIndex), sliceIndex, $"The model [x ; c] has {_sliceCount} slices.");
            var start = (long)sliceIndex * _sliceElements;
            var length = (int)Math.Min(_sliceElements, 2L * _weights - start);
            if (delta.Length != length)
                throw new ArgumentException($"Slice {sliceIndex} must hold {length} values, not {delta.Length}.", nameof(delta));
            if (!WeightedSliceSums.IsValidWeight(weight))
                throw new ArgumentOutOfRangeException(nameof(weight), weight,
                    $"A weight must be a whole number (an example count) from 1 to {WeightedSliceSums.MaxWeight:0}, so that sums stay exact.");
            if (start < _weights && start + length > _weights)
                foreach (var value in delta)
                    if (!float.IsFinite(value))
                        throw new ArgumentException($"Slice {sliceIndex} contains NaN or infinite values.", nameof(delta));
            return (start, _owner.Weighting == ScaffoldWeighting.Examples ? weight : 1);
        }

        // The straddling slice's c half, behind zeros where its x values were: the c sums' slice 0.
        private ReadOnlySpan<float> Padded(ReadOnlySpan<float> delta)
        {
            var padded = (_scratch ??= new float[_sliceElements]).AsSpan(0, delta.Length);
            padded[.._boundaryOffset].Clear();
            delta[_boundaryOffset..].CopyTo(padded[_boundaryOffset..]);
            return padded;
        }

        public void Finish(ReadOnlySpan<float> global, Span<float> result)
        {
            if (_finished) throw new InvalidOperationException("This SCAFFOLD round has already finished.");
            if (_folded == 0) throw new InvalidOperationException("SCAFFOLD cannot finish a round into which no update was folded.");
            var stored = 2 * _weights;
            if (global.Length != stored)
                throw new ArgumentException($"The global model [x ; c] must hold {stored} values, not {global.Length}.", nameof(global));
            if (result.Length != stored)
                throw new ArgumentException($"The result must hold {stored} values, not {result.Length}.", nameof(result));
            if (global.Overlaps(result))
                throw new ArgumentException("The result must not overlap the global model.", nameof(result));
            if (_owner.TotalClients is not { } total)
                throw new InvalidOperationException(
                    "SCAFFOLD needs N (RoundSettings.TotalClients, the total number of clients) to update the server control variate; " +
                    "the selector's round plan sets it, and this round's settings do not carry it.");
            for (var k = 0; k < _c.SliceCount; k++)
                if (_c.WeightOf(k) > total)
                    throw new InvalidOperationException(
                        $"SCAFFOLD: {_c.WeightOf(k)} clients delivered slice {_boundarySlice + k} but the total number of clients N is {total}; " +
                        "more clients contributed than there are.");

            // x' = x + η_g · mean of Δy (over clients, or weighted by examples).
            var x = result[.._weights];
            _x.WriteMean(x);
            var rate = (float)_owner.ServerLearningRate;
            var xGlobal = global[.._weights];
            for (var i = 0; i < x.Length; i++) x[i] = xGlobal[i] + rate * x[i];

            // c' = c + (|S| / N) · unweighted mean of Δc, |S| per slice.
            var means = new float[_c.ParameterCount];
            _c.WriteMean(means);
            var shift = _boundarySlice * _sliceElements; // element P is at means[_weights - shift]
            for (var i = _weights; i < stored; i++)
            {
                var virtualIndex = i - shift;
                var contributors = _c.WeightOf(virtualIndex / _sliceElements);
                result[i] = global[i] + (float)((double)means[virtualIndex] * contributors / total);
            }
            _finished = true;
        }

        public void WriteCheckpoint(BinaryWriter writer)
        {
            ArgumentNullException.ThrowIfNull(writer);
            if (_finished) throw new InvalidOperationException("This SCAFFOLD round has finished; there is nothing left to checkpoint.");
            writer.Write("Scaffold");
            writer.Write(_weights);
            writer.Write(_sliceElements);
            writer.Write(_folded);
            _x.WriteTo(writer);
            _c.WriteTo(writer);
        }

        public void ReadCheckpoint(BinaryReader reader)
        {
            ArgumentNullException.ThrowIfNull(reader);
            CheckpointFormat.ExpectTag(reader, "Scaffold");
            var (weights, sliceElements) = (reader.ReadInt32(), reader.ReadInt32());
            if (weights != _weights || sliceElements != _sliceElements)
                throw new InvalidDataException(
                    $"Checkpoint is of a SCAFFOLD round over {2L * weights} parameters in slices of {sliceElements}; this round has {2L * _weights}, {_sliceElements}.");
            var folded = reader.ReadInt32();
            if (folded < 0) throw new InvalidDataException($"Checkpoint of a SCAFFOLD round counts {folded} folded slices.");
            // Read into fresh sums, so that a bad checkpoint leaves this round as it was.
            var x = new WeightedSliceSums(_x.ParameterCount, _sliceElements);
            var c = new WeightedSliceSums(_c.ParameterCount, _sliceElements);
            x.ReadFrom(reader);
            c.ReadFrom(reader);
            (_x, _c, _folded) = (x, c, folded);
        }
    }
}

/// <summary>How SCAFFOLD averages the clients' model deltas (parameter "scaffold-weighting").</summary>
public enum ScaffoldWeighting
{
    /// <summary>(1/|S|) Σ Δy_i, as in the paper: consistent with the control variates' unweighted mean. The default.</summary>
    Uniform,

    /// <summary>(Σ n_i Δy_i) / (Σ n_i), FedAvg's example-weighted mean.</summary>
    Examples,
}
