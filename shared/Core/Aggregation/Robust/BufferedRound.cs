using System.Numerics.Tensors;

namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>
/// The round of a robust strategy: stores every folded slice in a <see cref="SliceMatrix"/> and, at the end,
/// moves the global model by the delta the strategy derives from all of them.
/// </summary>
/// <remarks>Robust strategies are unweighted: a weight is checked like FedAvg's (positive, finite) but not used,
/// since weighting by a claimed example count would let one client buy influence.</remarks>
internal abstract class BufferedRound(string strategyName, int parameterCount, int sliceElements) : IRoundAggregator, ICheckpointable, IRetractableRound
{
    protected SliceMatrix Matrix { get; } = new(parameterCount, sliceElements);

    protected string StrategyName { get; } = strategyName;

    public int FoldedSlices => Matrix.FoldedSlices;

    public void Fold(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (!double.IsFinite(weight) || weight <= 0)
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "A weight must be positive and finite.");
        Matrix.Add(clientId, sliceIndex, delta);
    }

    /// <summary>Removes the stored slice; robust rounds keep the values, so the ones passed are not needed.</summary>
    public void Retract(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight) => Matrix.Remove(clientId, sliceIndex);

    public void WriteCheckpoint(BinaryWriter writer) => Matrix.WriteTo(writer);

    public void ReadCheckpoint(BinaryReader reader) => Matrix.ReadFrom(reader);

    public void Finish(ReadOnlySpan<float> global, Span<float> result)
    {
        if (Matrix.FoldedSlices == 0)
            throw new InvalidOperationException($"{StrategyName} cannot finish a round into which no update was folded.");
        if (global.Length != Matrix.ParameterCount)
            throw new ArgumentException($"The global model must hold {Matrix.ParameterCount} values.", nameof(global));
        if (result.Length != Matrix.ParameterCount)
            throw new ArgumentException($"The result must hold {Matrix.ParameterCount} values.", nameof(result));
        WriteDelta(result);
        TensorPrimitives.Add(result, global, result);
    }

    /// <summary>Writes the aggregated delta of the whole model (zero in slices nobody delivered).</summary>
    protected abstract void WriteDelta(Span<float> delta);
}

/// <summary>
/// The round of a distance-based robust strategy (Krum, Multi-Krum, Bulyan): selects clients from pairwise distances, then
/// aggregates the selected ones. Across shards (<see cref="SliceShards"/>) each instance gives its partial distances, one
/// place combines them and selects, and every instance aggregates its own slices of the same selection.
/// </summary>
internal abstract class SelectingRound(string strategyName, int parameterCount, int sliceElements)
    : BufferedRound(strategyName, parameterCount, sliceElements), ISelectingRound
{
    private string[]? _selection;

    public PairwiseDistances PartialDistances() => PairwiseDistances.ForOwnedSlices(Matrix);

    public IReadOnlyList<string> Select(PairwiseDistances distances)
    {
        ArgumentNullException.ThrowIfNull(distances);
        return SelectFrom(distances);
    }

    public void UseSelection(IReadOnlyList<string> selected)
    {
        ArgumentNullException.ThrowIfNull(selected);
        if (selected.Count == 0) throw new ArgumentException("A selection needs at least one client.", nameof(selected));
        foreach (var id in selected)
            for (var s = 0; s < Matrix.SliceCount; s++)
                if (Matrix.IsOwned(s) && !Matrix.Delivered(s, id))
                    throw new ArgumentException($"Selected client '{id}' did not deliver slice {s}, which this round holds.", nameof(selected));
        _selection = [.. selected];
    }

    public IReadOnlyList<string>? Aggregated { get; private set; }

    protected sealed override void WriteDelta(Span<float> delta)
    {
        var selected = _selection ?? SelectFrom(PairwiseDistances.ForOwnedSlices(Matrix));
        WriteSelected(selected, delta);
        Aggregated = selected;
    }

    /// <summary>The ids the strategy selects given the distances over the whole model (throws when there are too few clients).</summary>
    protected abstract string[] SelectFrom(PairwiseDistances distances);

    /// <summary>Writes the aggregate of the selected clients over the slices this round holds.</summary>
    protected abstract void WriteSelected(IReadOnlyList<string> selected, Span<float> delta);
}
