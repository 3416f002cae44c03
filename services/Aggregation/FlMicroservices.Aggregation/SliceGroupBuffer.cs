using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Aggregation;

/// <summary>Holds a round's accepted slices per slice index and folds each index's slices as one exact group (see docs/architecture.md).</summary>
/// <remarks>
/// A group is folded once <see cref="GroupSize"/> slices of its index wait, or, when the bytes waiting pass the budget, the
/// largest group first; <see cref="FoldAll"/> folds the rest (round close, checkpoint). The sums are bit for bit those of
/// folding every slice on arrival. A group the accumulator's range refuses is folded member by member in arrival order, and
/// each member that overflows is handed back to the caller, which rejects its client. Not thread-safe.
/// </remarks>
public sealed class SliceGroupBuffer
{
    private readonly IBatchRoundAggregator _round;
    private readonly List<UpdateSlice>?[] _waiting;
    private readonly string[] _ids;

    /// <param name="budgetBytes">Payload bytes that may wait at once before the largest group is folded early.</param>
    public SliceGroupBuffer(IBatchRoundAggregator round, int sliceCount, int groupSize, long budgetBytes)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sliceCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budgetBytes);
        _round = round;
        _waiting = new List<UpdateSlice>?[sliceCount];
        _ids = new string[groupSize];
        GroupSize = groupSize;
        BudgetBytes = budgetBytes;
    }

    /// <summary>Slices of one index folded together.</summary>
    public int GroupSize { get; }

    /// <summary>Payload bytes that may wait at once.</summary>
    public long BudgetBytes { get; }

    /// <summary>Payload bytes waiting now.</summary>
    public long WaitingBytes { get; private set; }

    /// <summary>The most payload bytes that waited at once.</summary>
    public long PeakWaitingBytes { get; private set; }

    /// <summary>Adds a checked slice; folds its index's group when it is full, and the largest groups while over budget.</summary>
    /// <param name="overflowed">Receives each slice the accumulator's range refused (nothing of it was folded).</param>
    public void Add(UpdateSlice slice, Action<UpdateSlice> overflowed)
    {
        ArgumentNullException.ThrowIfNull(slice);
        var waiting = _waiting[slice.SliceIndex] ??= new List<UpdateSlice>(GroupSize);
        waiting.Add(slice);
        WaitingBytes += slice.Payload.Length;
        PeakWaitingBytes = Math.Max(PeakWaitingBytes, WaitingBytes);
        if (waiting.Count >= GroupSize) Fold(slice.SliceIndex, overflowed);
        while (WaitingBytes > BudgetBytes) Fold(Largest(), overflowed);
    }

    /// <summary>Folds every slice still waiting.</summary>
    public void FoldAll(Action<UpdateSlice> overflowed)
    {
        if (WaitingBytes == 0) return;
        for (var index = 0; index < _waiting.Length; index++) Fold(index, overflowed);
    }

    /// <summary>Removes the client's waiting slices (it was rejected: they are never folded); returns their indices.</summary>
    public List<int> Drop(string clientId)
    {
        var dropped = new List<int>();
        if (WaitingBytes == 0) return dropped;
        for (var index = 0; index < _waiting.Length; index++)
        {
            var waiting = _waiting[index];
            if (waiting is null) continue;
            var at = waiting.FindIndex(s => string.Equals(s.ClientId, clientId, StringComparison.Ordinal));
            if (at < 0) continue;
            WaitingBytes -= waiting[at].Payload.Length;
            waiting.RemoveAt(at);
            dropped.Add(index);
        }
        return dropped;
    }

    private int Largest()
    {
        var largest = 0;
        for (var index = 1; index < _waiting.Length; index++)
            if ((_waiting[index]?.Count ?? 0) > (_waiting[largest]?.Count ?? 0)) largest = index;
        return largest;
    }

    private void Fold(int index, Action<UpdateSlice> overflowed)
    {
        var waiting = _waiting[index];
        if (waiting is null || waiting.Count == 0) return;
        _waiting[index] = null; // detached while it is folded: a rejection the fold causes cannot touch it
        foreach (var slice in waiting) WaitingBytes -= slice.Payload.Length;
        var folded = false;
        if (waiting.Count <= _ids.Length)
        {
            try
            {
                for (var m = 0; m < waiting.Count; m++) _ids[m] = waiting[m].ClientId;
                _round.FoldMany(index, _ids.AsSpan(0, waiting.Count), new Group(waiting));
                folded = true;
            }
            catch (OverflowException)
            {
                // The group as a whole could leave the range: fold one by one, in arrival order, to find the members that do.
            }
            finally { Array.Clear(_ids); }
        }
        if (!folded)
        {
            foreach (var slice in waiting)
            {
                try
                {
                    _round.Fold(slice.ClientId, index, slice.AsFloats(), slice.Weight);
                }
                catch (OverflowException)
                {
                    overflowed(slice);
                }
            }
        }
        waiting.Clear();
        _waiting[index] ??= waiting;
    }

    // The waiting slices of one index as a grouped fold's members: views of the received payloads, no copies.
    private readonly struct Group(List<UpdateSlice> slices) : ISliceGroup
    {
        public int Count => slices.Count;

        public ReadOnlySpan<float> Values(int member) => slices[member].AsFloats();

        public double Weight(int member) => slices[member].Weight;
    }
}
