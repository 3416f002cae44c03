using System.Numerics.Tensors;

namespace FlMicroservices.Core.Aggregation;

/// <summary>Federated Averaging (McMahan et al. 2017): the global model moves by the example-weighted mean of the client deltas.</summary>
public sealed class FedAvg : IAggregationStrategy
{
    public string Name => "fedavg";

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements) => new Round(parameterCount, sliceElements);

    /// <summary>All-at-once FedAvg over whole updates: the example-weighted mean.</summary>
    public static float[] WeightedMean(IReadOnlyList<(float[] Update, double Weight)> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 0)
            throw new InvalidOperationException("FedAvg needs at least one update; the round received none.");
        var length = updates[0].Update.Length;
        var round = new Round(length, Math.Max(1, length));
        for (var i = 0; i < updates.Count; i++)
            round.Fold($"client-{i}", 0, updates[i].Update, updates[i].Weight);
        var result = new float[length];
        round.Finish(new float[length], result);
        return result;
    }

    private sealed class Round(int parameterCount, int sliceElements) : IRoundAggregator
    {
        private readonly WeightedSliceSums _sums = new(parameterCount, sliceElements);

        public int FoldedSlices => _sums.FoldedSlices;

        public void Fold(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight) => _sums.Fold(sliceIndex, delta, weight);

        public void Finish(ReadOnlySpan<float> global, Span<float> result)
        {
            if (_sums.FoldedSlices == 0)
                throw new InvalidOperationException("FedAvg cannot finish a round into which no update was folded.");
            _sums.WriteMean(result);
            TensorPrimitives.Add(result, global, result);
        }
    }
}
