namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// A round that can fold several clients' slices of one index in one pass over its accumulator
/// (see <see cref="WeightedSliceSums.FoldMany{TGroup}(int, TGroup)"/>). Optional: test for it with <c>is</c>
/// and fall back to <see cref="IRoundAggregator.Fold"/> when a round does not implement it.
/// </summary>
/// <remarks>Design notes: docs/aggregation.md, "Notes: IBatchRoundAggregator".</remarks>
public interface IBatchRoundAggregator : IRoundAggregator
{
    /// <summary>
    /// Folds slice <paramref name="sliceIndex"/> of every member of <paramref name="group"/>: member m is
    /// <paramref name="clientIds"/>[m]'s delta, weighted by its example count. Counts towards <see cref="IRoundAggregator.FoldedSlices"/>
    /// once per member.
    /// </summary>
    /// <remarks>
    /// As for <see cref="IRoundAggregator.Fold"/>, the caller has already checked each slice and dropped duplicates.
    /// All or nothing: every member is checked (length, weight, finite values, the accumulator's range), and when this
    /// throws the round is exactly as it was: no member was folded. The message names the first member at fault; to act
    /// per client, fold the members one by one with <see cref="IRoundAggregator.Fold"/>. In particular an
    /// <see cref="OverflowException"/> says the group as a whole could leave the exact range; folded one by one, the members
    /// are accepted until the one that would take the slice past it (whether a member overflows depends on the set folded
    /// before it, not on the grouping).
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="clientIds"/> and <paramref name="group"/> differ in count, or a member is invalid (as for <see cref="IRoundAggregator.Fold"/>).</exception>
    /// <exception cref="OverflowException">The group could leave the exact range; nothing was folded.</exception>
    /// <param name="squares">Receives each member's sum of squares (<see cref="WeightedSliceSums.SumOfSquares"/>), read in the same pass; empty: not wanted.</param>
    void FoldMany<TGroup>(int sliceIndex, ReadOnlySpan<string> clientIds, TGroup group, Span<double> squares)
        where TGroup : ISliceGroup, allows ref struct;
}

/// <summary>The members of a group of slices of one index: how many, and each one's values and weight.</summary>
/// <remarks>
/// A view, not a copy: implement it over whatever holds the received records (a struct or ref struct over the batch a
/// consumer fetch returned, say), so that grouping allocates nothing. <see cref="Values"/> is called more than once per
/// member during one fold (block by block to accumulate, and again to check or undo) and must return the same values every
/// time, without throwing; a group that breaks this leaves the slice's sums undefined.
/// </remarks>
public interface ISliceGroup
{
    /// <summary>Number of members.</summary>
    int Count { get; }

    /// <summary>Member <paramref name="member"/>'s values: the whole slice.</summary>
    ReadOnlySpan<float> Values(int member);

    /// <summary>Member <paramref name="member"/>'s weight: a whole example count (see <see cref="WeightedSliceSums.IsValidWeight"/>).</summary>
    double Weight(int member);
}

/// <summary>An <see cref="ISliceGroup"/> over parallel spans of values and weights.</summary>
public readonly ref struct SliceGroup : ISliceGroup
{
    private readonly ReadOnlySpan<ReadOnlyMemory<float>> _values;
    private readonly ReadOnlySpan<double> _weights;

    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public SliceGroup(ReadOnlySpan<ReadOnlyMemory<float>> values, ReadOnlySpan<double> weights)
    {
        if (values.Length != weights.Length)
            throw new ArgumentException($"A group needs one weight per slice: {values.Length} slices, {weights.Length} weights.", nameof(weights));
        _values = values;
        _weights = weights;
    }

    public int Count => _values.Length;

    public ReadOnlySpan<float> Values(int member) => _values[member].Span;

    public double Weight(int member) => _weights[member];
}
