namespace FlMicroservices.Core.Aggregation;

/// <summary>A server-side aggregation algorithm: opens a round, folds client updates slice by slice, produces the next global model.</summary>
public interface IAggregationStrategy
{
    string Name { get; }

    /// <summary>Starts a round over a model of <paramref name="parameterCount"/> parameters cut into slices of <paramref name="sliceElements"/>.</summary>
    IRoundAggregator BeginRound(int parameterCount, int sliceElements);
}

/// <summary>The running state of one round's aggregation.</summary>
/// <remarks>Updates are deltas (local model minus the round's global model). Implementations are not thread-safe.</remarks>
public interface IRoundAggregator
{
    /// <summary>Folds slice <paramref name="sliceIndex"/> of <paramref name="clientId"/>'s update, weighted by <paramref name="weight"/> (its example count).</summary>
    /// <remarks>The caller has already checked the slice (shape, finiteness) and dropped duplicates.</remarks>
    void Fold(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight);

    /// <summary>Number of slices folded so far.</summary>
    int FoldedSlices { get; }

    /// <summary>Writes the next global model into <paramref name="result"/> given the round's global model.</summary>
    /// <exception cref="InvalidOperationException">No update was folded into the round.</exception>
    void Finish(ReadOnlySpan<float> global, Span<float> result);
}
