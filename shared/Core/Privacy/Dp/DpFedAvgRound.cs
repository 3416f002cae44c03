using System.Numerics.Tensors;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Privacy.Dp;

/// <summary>
/// One round of <see cref="DpFedAvg"/>: clips each client's streamed update, sums the clipped updates exactly, and at
/// <see cref="Finish"/> adds the noise, divides by the fixed denominator and hands the result to the inner strategy.
/// </summary>
/// <remarks>Not thread-safe (the aggregation service serialises calls). See <see cref="DpFedAvg"/> for the algorithm.</remarks>
internal sealed class DpFedAvgRound : IRoundAggregator, IClientNormAware, IRetractableRound
{
    private readonly DpFedAvg _owner;
    private readonly int _roundIndex;
    private readonly double _clipNorm;
    private readonly int _parameterCount;
    private readonly int _sliceElements;
    private readonly int _sliceCount;
    private readonly WeightedSliceSums _sums;
    private readonly NormGate _gate;
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
        // Every client counts 1, whatever weight it was folded with.
        _gate = new NormGate(clipNorm, parameterCount, sliceElements, (_, slice, values, _) => _sums.Fold(slice, values, 1));
    }

    public int FoldedSlices { get; private set; }

    /// <remarks><paramref name="weight"/> must be positive and finite but is otherwise ignored: DP-FedAvg weighs every client 1.</remarks>
    public void Fold(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight)
    {
        if (_finished) throw new InvalidOperationException("This DP-FedAvg round has finished; it takes no more updates.");
        _gate.Take(clientId, sliceIndex, delta, weight);
        FoldedSlices++;
    }

    public void SetClientNorm(string clientId, double norm) => _gate.SetClientNorm(clientId, norm);

    public void Retract(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight)
    {
        if (_finished) throw new InvalidOperationException("This DP-FedAvg round has finished; nothing can be taken back.");
        _gate.Retract(clientId, sliceIndex, delta, weight, (_, slice, values, _) => _sums.Unfold(slice, values, 1));
        FoldedSlices--;
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
        _gate.ReleaseAll();
        var clients = 0;
        var clipped = 0;
        var underClip = 0;
        foreach (var norm in _gate.DeliveredNorms())
        {
            clients++;
            if (norm > _clipNorm) clipped++;
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
}
