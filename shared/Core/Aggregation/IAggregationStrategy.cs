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

/// <summary>
/// A round that can take back a slice it folded, exactly: after <see cref="Retract"/> of every slice a client delivered,
/// the round is in the state it would be in had that client never been folded (bit for bit for the exact sums).
/// </summary>
/// <remarks>
/// Used when a client is rejected after some of its slices were folded (a later slice fails a check, its norm passes the
/// outlier limit, its manifest disagrees): the aggregation service reads those slices back from the update stream and
/// retracts them, so that a rejected update has no effect on the model. The caller passes the same values and weight
/// that were folded (it checks them against the checksums it recorded).
/// </remarks>
public interface IRetractableRound
{
    /// <summary>Takes back slice <paramref name="sliceIndex"/> of <paramref name="clientId"/>, folded earlier with these values and weight.</summary>
    /// <exception cref="ArgumentException">That client's slice was not folded (or not with these values, where the round can tell).</exception>
    /// <exception cref="InvalidOperationException">The round has finished.</exception>
    void Retract(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight);
}
