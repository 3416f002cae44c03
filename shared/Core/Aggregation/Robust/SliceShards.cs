namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>
/// A distance-based robust round whose selection can be made elsewhere: it gives the squared distances over the slices it
/// holds, and aggregates the slices it holds for a selection made from the distances over the whole model.
/// </summary>
public interface ISelectingRound : IRoundAggregator
{
    /// <summary>Squared distances between the clients that delivered every slice this round holds, over those slices.</summary>
    PairwiseDistances PartialDistances();

    /// <summary>The clients the strategy selects given distances over the whole model.</summary>
    /// <exception cref="InvalidOperationException">Too few clients for the strategy's f.</exception>
    IReadOnlyList<string> Select(PairwiseDistances distances);

    /// <summary>Makes <see cref="IRoundAggregator.Finish"/> aggregate these clients instead of selecting from this round's own distances.</summary>
    /// <exception cref="ArgumentException">A selected client did not deliver a slice this round holds.</exception>
    void UseSelection(IReadOnlyList<string> selected);

    /// <summary>The clients <see cref="IRoundAggregator.Finish"/> aggregated; null before it ran. The others were left out.</summary>
    IReadOnlyList<string>? Aggregated { get; }
}

/// <summary>
/// Aggregation sharded by slice across instances: instance k of K holds the slices whose index is k modulo K (with the
/// update stream keyed by slice index, a partition's slices all go to one instance), aggregates them with its own round of
/// the same strategy, and the next model is the concatenation of each instance's slices of its result.
/// </summary>
/// <remarks>Design notes: docs/aggregation.md, "Notes: SliceShards".</remarks>
public static class SliceShards
{
    /// <summary>The instance that holds slice <paramref name="sliceIndex"/> when there are <paramref name="shardCount"/>.</summary>
    public static int Owner(int sliceIndex, int shardCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sliceIndex);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shardCount);
        return sliceIndex % shardCount;
    }

    /// <summary>
    /// For distance-based rounds: sums the instances' partial distances, selects once (with the first instance's strategy)
    /// and hands the selection to every instance. Returns the selection; null when the rounds select nothing (other strategies).
    /// </summary>
    /// <exception cref="ArgumentException">Some rounds select and others do not (not one strategy).</exception>
    public static IReadOnlyList<string>? CoordinateSelection(IReadOnlyList<IRoundAggregator> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0) throw new ArgumentException("There must be at least one shard.", nameof(shards));
        var selecting = shards.OfType<ISelectingRound>().ToList();
        if (selecting.Count == 0) return null;
        if (selecting.Count != shards.Count)
            throw new ArgumentException("Either every shard's round selects clients or none does: the shards must run one strategy.", nameof(shards));
        var combined = PairwiseDistances.Combine(selecting.Select(s => s.PartialDistances()).ToList());
        var selected = selecting[0].Select(combined);
        foreach (var shard in selecting) shard.UseSelection(selected);
        return selected;
    }

    /// <summary>Writes into <paramref name="model"/> each slice from the result of the instance that holds it.</summary>
    /// <param name="shardResults">Instance k's next model (only the slices it holds are read).</param>
    public static void Assemble(IReadOnlyList<float[]> shardResults, int sliceElements, Span<float> model)
    {
        ArgumentNullException.ThrowIfNull(shardResults);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sliceElements);
        var shardCount = shardResults.Count;
        if (shardCount == 0) throw new ArgumentException("There must be at least one shard result.", nameof(shardResults));
        for (var k = 0; k < shardCount; k++)
            if (shardResults[k] is null || shardResults[k].Length != model.Length)
                throw new ArgumentException($"Shard {k}'s result must hold {model.Length} values.", nameof(shardResults));
        var sliceCount = (model.Length + sliceElements - 1) / sliceElements;
        for (var s = 0; s < sliceCount; s++)
        {
            var start = s * sliceElements;
            var length = Math.Min(sliceElements, model.Length - start);
            shardResults[Owner(s, shardCount)].AsSpan(start, length).CopyTo(model.Slice(start, length));
        }
    }
}
