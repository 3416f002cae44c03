using System.Numerics.Tensors;

namespace FlMicroservices.Core.Aggregation;

/// <summary>Federated Averaging (McMahan et al. 2017): the global model moves by the example-weighted mean of the client deltas.</summary>
/// <remarks>The mean is exact and independent of the order in which slices arrive (see <see cref="WeightedSliceSums"/>).</remarks>
public sealed class FedAvg : IAggregationStrategy
{
    public string Name => "fedavg";

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements) =>
        new MeanDeltaRound("FedAvg", parameterCount, sliceElements, Step);

    /// <summary>All-at-once FedAvg over whole updates: the example-weighted mean.</summary>
    /// <remarks>Weights are example counts: whole numbers from 1 to <see cref="WeightedSliceSums.MaxWeight"/>.</remarks>
    public static float[] WeightedMean(IReadOnlyList<(float[] Update, double Weight)> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 0)
            throw new InvalidOperationException("FedAvg needs at least one update; the round received none.");
        var length = updates[0].Update.Length;
        var round = new FedAvg().BeginRound(length, Math.Max(1, length));
        for (var i = 0; i < updates.Count; i++)
            round.Fold($"client-{i}", 0, updates[i].Update, updates[i].Weight);
        var result = new float[length];
        round.Finish(new float[length], result);
        return result;
    }

    /// <summary>x + mean delta: the step shared by FedAvg and FedProx.</summary>
    internal static void Step(ReadOnlySpan<float> global, Span<float> meanDeltaThenModel) =>
        TensorPrimitives.Add(meanDeltaThenModel, global, meanDeltaThenModel);
}
