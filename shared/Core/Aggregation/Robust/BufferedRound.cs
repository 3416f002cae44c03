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
