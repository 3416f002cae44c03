using System.Numerics.Tensors;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Privacy.Dp;

/// <summary>
/// One round of <see cref="DpFedAvg"/>: clips each client's streamed update, sums the clipped updates exactly, and at
/// <see cref="Finish"/> adds the noise, divides by the fixed denominator and hands the result to the inner strategy.
/// </summary>
/// <remarks>Not thread-safe (the aggregation service serialises calls). See <see cref="DpFedAvg"/> for the algorithm.</remarks>
internal sealed class DpFedAvgRound : IRoundAggregator, IClientNormAware
{
    private readonly DpFedAvg _owner;
    private readonly int _roundIndex;
    private readonly double _clipNorm;
    private readonly int _parameterCount;
    private readonly int _sliceElements;
    private readonly int _sliceCount;
    private readonly WeightedSliceSums _sums;
    private readonly Dictionary<string, Client> _clients = new(StringComparer.Ordinal);
    private float[]? _scratch;
    private bool _finished;

    public DpFedAvgRound(DpFedAvg owner, int roundIndex, double clipNorm, int parameterCount, int sliceElements)
    {
        _owner = owner;
        _roundIndex = roundIndex;
        _clipNorm = clipNorm;
        _parameterCount = parameterCount;
        _sliceElements = sliceElements;
        _sums = new WeightedSliceSums(parameterCount, sliceElements);
        _sliceCount = _sums.SliceCount;
    }

    public int FoldedSlices { get; private set; }

    /// <remarks><paramref name="weight"/> must be positive and finite but is otherwise ignored: DP-FedAvg weighs every client 1.</remarks>
    public void Fold(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (_finished) throw new InvalidOperationException("This DP-FedAvg round has finished; it takes no more updates.");
        if ((uint)sliceIndex >= (uint)_sliceCount)
            throw new ArgumentOutOfRangeException(nameof(sliceIndex), sliceIndex, $"The model has {_sliceCount} slices.");
        var length = _sums.SliceLength(sliceIndex);
        if (delta.Length != length)
            throw new ArgumentException($"Slice {sliceIndex} must hold {length} values, not {delta.Length}.", nameof(delta));
        if (!double.IsFinite(weight) || weight <= 0)
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "A weight must be positive and finite.");

        var client = ClientFor(clientId);
        client.Receive(sliceIndex, _sliceCount);
        if (client.Norm is { } norm)
        {
            Add(sliceIndex, delta, NormBounding.ScaleFor(norm, _clipNorm));
            client.Forwarded = true;
        }
        else
        {
            client.Buffer(sliceIndex, delta, _parameterCount, _sliceElements);
            if (client.Buffered == _sliceCount) Release(client, NormBounding.L2Norm(client.Values!));
        }
        FoldedSlices++;
    }

    public void SetClientNorm(string clientId, double norm)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (!(norm >= 0) || !double.IsFinite(norm))
            throw new ArgumentOutOfRangeException(nameof(norm), norm, "A norm must be finite and at least 0.");
        var client = ClientFor(clientId);
        if (client.Forwarded) return; // the first norm that took effect is final
        client.Norm = norm;
        if (client.Buffered > 0) Release(client, norm);
    }

    public void Finish(ReadOnlySpan<float> global, Span<float> result)
    {
        if (_finished) throw new InvalidOperationException("This DP-FedAvg round has already finished.");
        if (global.Length != _parameterCount)
            throw new ArgumentException($"The global model must hold {_parameterCount} values, not {global.Length}.", nameof(global));
        if (result.Length != _parameterCount)
            throw new ArgumentException($"The result must hold {_parameterCount} values, not {result.Length}.", nameof(result));
        if (global.Overlaps(result))
            throw new ArgumentException("The result must not overlap the global model.", nameof(result));

        // Clients still incomplete: clip what they delivered by its own norm, in a fixed order.
        var waiting = new List<string>();
        foreach (var (id, client) in _clients)
            if (client.Buffered > 0) waiting.Add(id);
        waiting.Sort(StringComparer.Ordinal);
        foreach (var id in waiting)
        {
            var client = _clients[id];
            Release(client, NormBounding.L2Norm(client.Values!));
        }

        var clients = 0;
        var clipped = 0;
        var underClip = 0;
        foreach (var client in _clients.Values)
        {
            if (client.Slices == 0) continue; // a norm was supplied but nothing arrived
            clients++;
            if (client.Norm > _clipNorm) clipped++;
            else underClip++;
        }
        if (clients == 0)
            throw new InvalidOperationException("DP-FedAvg cannot finish a round into which no update was folded.");

        // Σ clip(Δᵢ): the exact per-slice mean times the slice's count of clients (each weighted 1).
        var noisyMean = new float[_parameterCount];
        _sums.WriteMean(noisyMean);
        for (var s = 0; s < _sliceCount; s++)
        {
            var count = _sums.WeightOf(s);
            if (count > 1)
            {
                var slice = noisyMean.AsSpan(s * _sliceElements, _sums.SliceLength(s));
                TensorPrimitives.Multiply(slice, (float)count, slice);
            }
        }

        var options = _owner.Options;
        var denominator = options.ExpectedClients ?? clients;
        var noiseStd = _owner.UpdateNoiseMultiplier * _clipNorm;
        double? noisyFraction = null;
        var nextClipNorm = _clipNorm;
        using (var noise = _owner.NoiseFor(_roundIndex))
        {
            noise.AddTo(noisyMean, noiseStd);
            if (options.Adaptive)
            {
                var noisyCount = underClip + noise.Next(options.EffectiveCountNoiseStd);
                noisyFraction = noisyCount / denominator;
                nextClipNorm = AdaptiveClipping.NextClipNorm(_clipNorm, noisyFraction.Value, options.TargetQuantile, options.ClipLearningRate);
            }
        }
        TensorPrimitives.Multiply(noisyMean, (float)(1.0 / denominator), noisyMean);

        // The privatized mean is the round's only update for the inner strategy: its server step is post-processing.
        var inner = _owner.Inner.BeginRound(_parameterCount, _sliceElements);
        for (var s = 0; s < _sliceCount; s++)
            inner.Fold(DpFedAvg.AggregateClientId, s, noisyMean.AsSpan(s * _sliceElements, _sums.SliceLength(s)), 1);
        inner.Finish(global, result);
        _finished = true;
        _owner.Complete(new DpRoundReport(_roundIndex, clients, clipped, _clipNorm, noiseStd, denominator, noisyFraction, nextClipNorm));
    }

    private Client ClientFor(string clientId)
    {
        if (!_clients.TryGetValue(clientId, out var client)) _clients[clientId] = client = new Client();
        return client;
    }

    // Sums every buffered slice, scaled for `norm`, and frees the buffer; later slices go straight through.
    private void Release(Client client, double norm)
    {
        client.Norm = norm;
        var scale = NormBounding.ScaleFor(norm, _clipNorm);
        for (var s = 0; s < _sliceCount; s++)
            if (client.Has![s])
                Add(s, client.Values.AsSpan(s * _sliceElements, _sums.SliceLength(s)), scale);
        client.Forwarded = true;
        client.ClearBuffer();
    }

    private void Add(int sliceIndex, ReadOnlySpan<float> delta, double scale)
    {
        if (scale >= 1)
        {
            _sums.Fold(sliceIndex, delta, 1);
            return;
        }
        var scaled = (_scratch ??= new float[_sliceElements]).AsSpan(0, delta.Length);
        TensorPrimitives.Multiply(delta, (float)scale, scaled);
        _sums.Fold(sliceIndex, scaled, 1);
    }

    private sealed class Client
    {
        private bool[]? _received;

        public double? Norm { get; set; }
        public bool Forwarded { get; set; }
        public int Slices { get; private set; }
        public int Buffered { get; private set; }
        public float[]? Values { get; private set; }
        public bool[]? Has { get; private set; }

        public void Receive(int sliceIndex, int sliceCount)
        {
            _received ??= new bool[sliceCount];
            if (_received[sliceIndex])
                throw new ArgumentException($"Slice {sliceIndex} of this client was already folded; duplicates must be dropped before folding.", nameof(sliceIndex));
            _received[sliceIndex] = true;
            Slices++;
        }

        public void Buffer(int sliceIndex, ReadOnlySpan<float> delta, int parameterCount, int sliceElements)
        {
            Values ??= new float[parameterCount];
            Has ??= new bool[(parameterCount + sliceElements - 1) / sliceElements];
            delta.CopyTo(Values.AsSpan(sliceIndex * sliceElements));
            Has[sliceIndex] = true;
            Buffered++;
        }

        public void ClearBuffer()
        {
            Values = null;
            Has = null;
            Buffered = 0;
        }
    }
}
