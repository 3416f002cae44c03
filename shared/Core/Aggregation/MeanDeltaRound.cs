namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// The round of every linear strategy: folds weighted deltas into exact <see cref="WeightedSliceSums"/> and, at the end,
/// hands the weighted mean delta to the strategy's server step, which turns it into the next global model.
/// </summary>
/// <remarks>
/// A round finishes at most once, so a stateful server optimizer (momentum, Adam moments) steps exactly once per round.
/// Its accumulators come from <see cref="AccumulatorPool.Shared"/> and go back when the round finishes.
/// Because the mean is exact and order-invariant, so is every step computed from it. Slices of one index from several
/// clients can be folded as a group (<see cref="IBatchRoundAggregator"/>), with the same result bit for bit.
/// </remarks>
internal sealed class MeanDeltaRound : IBatchRoundAggregator, ICheckpointable, IRetractableRound
{
    /// <summary>
    /// Writes the next global model over <paramref name="meanDeltaThenModel"/>, which holds the round's weighted mean
    /// delta on entry (zero where nobody delivered). Runs once per round, after every check has passed.
    /// </summary>
    internal delegate void ServerStep(ReadOnlySpan<float> global, Span<float> meanDeltaThenModel);

    private readonly WeightedSliceSums _sums;
    private readonly string _strategy;
    private readonly ServerStep _step;
    private bool _finished;

    public MeanDeltaRound(string strategy, int parameterCount, int sliceElements, ServerStep step)
    {
        _sums = new WeightedSliceSums(parameterCount, sliceElements, WeightedSliceSums.DefaultFractionBits, AccumulatorPool.Shared);
        _strategy = strategy;
        _step = step;
    }

    public int FoldedSlices => _sums.FoldedSlices;

    public void Fold(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (_finished) throw new InvalidOperationException($"This {_strategy} round has finished; it takes no more updates.");
        _sums.Fold(sliceIndex, delta, weight);
    }

    public void Retract(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (_finished) throw new InvalidOperationException($"This {_strategy} round has finished; nothing can be taken back.");
        _sums.Unfold(sliceIndex, delta, weight);
    }

    public void FoldMany<TGroup>(int sliceIndex, ReadOnlySpan<string> clientIds, TGroup group, Span<double> squares)
        where TGroup : ISliceGroup, allows ref struct
    {
        if (clientIds.Length != group.Count)
            throw new ArgumentException($"A group needs one client id per slice: {group.Count} slices, {clientIds.Length} ids.", nameof(clientIds));
        for (var m = 0; m < clientIds.Length; m++)
            if (clientIds[m] is null) throw new ArgumentNullException(nameof(clientIds), $"Member {m} of the group has no client id.");
        if (_finished) throw new InvalidOperationException($"This {_strategy} round has finished; it takes no more updates.");
        _sums.FoldMany(sliceIndex, group, squares);
    }

    public void WriteCheckpoint(BinaryWriter writer)
    {
        if (_finished) throw new InvalidOperationException($"This {_strategy} round has finished; there is nothing left to checkpoint.");
        _sums.WriteTo(writer);
    }

    public void ReadCheckpoint(BinaryReader reader) => _sums.ReadFrom(reader);

    public void Finish(ReadOnlySpan<float> global, Span<float> result)
    {
        if (_finished) throw new InvalidOperationException($"This {_strategy} round has already finished.");
        if (_sums.FoldedSlices == 0)
            throw new InvalidOperationException($"{_strategy} cannot finish a round into which no update was folded.");
        if (global.Length != _sums.ParameterCount)
            throw new ArgumentException($"The global model must hold {_sums.ParameterCount} values, not {global.Length}.", nameof(global));
        if (result.Length != _sums.ParameterCount)
            throw new ArgumentException($"The result must hold {_sums.ParameterCount} values, not {result.Length}.", nameof(result));
        if (global.Overlaps(result))
            throw new ArgumentException("The result must not overlap the global model.", nameof(result));
        _sums.WriteMean(result);
        _step(global, result);
        _finished = true;
        _sums.Release(); // the next round reuses the accumulators (AccumulatorPool.Shared)
    }
}
