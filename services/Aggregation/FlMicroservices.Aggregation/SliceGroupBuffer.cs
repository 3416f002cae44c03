using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Aggregation;

/// <summary>Holds a round's accepted slices per slice index and folds each index's slices as one exact group (see docs/architecture.md).</summary>
/// <remarks>
/// A group is folded once <see cref="GroupSize"/> slices of its index wait, or, when the bytes waiting pass the budget, the
/// largest group first; <see cref="FoldAll"/> folds the rest (round close, checkpoint). The sums are bit for bit those of
/// folding every slice on arrival, and each slice's sum of squares is read in the same pass. A group the accumulator refuses
/// is folded member by member in arrival order; each member that cannot be folded is handed back with the reason. Not thread-safe.
/// </remarks>
public sealed class SliceGroupBuffer
{
    private readonly IBatchRoundAggregator _round;
    private readonly List<UpdateSlice>?[] _waiting;
    private readonly string[] _ids;
    private readonly double[] _squares;
    private readonly Action<UpdateSlice, double> _folded;
    private readonly Action<UpdateSlice, string> _refused;

    /// <param name="budgetBytes">Payload bytes that may wait at once before the largest group is folded early.</param>
    /// <param name="folded">Receives each slice once it is folded, with its sum of squares (<see cref="WeightedSliceSums.SumOfSquares"/>).</param>
    /// <param name="refused">Receives each slice that could not be folded (nothing of it was), with the reason.</param>
    public SliceGroupBuffer(IBatchRoundAggregator round, int sliceCount, int groupSize, long budgetBytes,
        Action<UpdateSlice, double> folded, Action<UpdateSlice, string> refused)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(folded);
        ArgumentNullException.ThrowIfNull(refused);
        _folded = folded;
        _refused = refused;
        _squares = new double[groupSize];
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
    public void Add(UpdateSlice slice)
    {
        ArgumentNullException.ThrowIfNull(slice);
        var waiting = _waiting[slice.SliceIndex] ??= new List<UpdateSlice>(GroupSize);
        waiting.Add(slice);
        WaitingBytes += slice.Payload.Length;
        PeakWaitingBytes = Math.Max(PeakWaitingBytes, WaitingBytes);
        if (waiting.Count >= GroupSize) Fold(slice.SliceIndex);
        while (WaitingBytes > BudgetBytes) Fold(Largest());
    }

    /// <summary>Folds every slice still waiting.</summary>
    public void FoldAll()
    {
        if (WaitingBytes == 0) return;
        for (var index = 0; index < _waiting.Length; index++) Fold(index);
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

    private void Fold(int index)
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
                _round.FoldMany(index, _ids.AsSpan(0, waiting.Count), new Group(waiting), _squares.AsSpan(0, waiting.Count));
                folded = true;
            }
            catch (Exception e) when (e is OverflowException or ArgumentException)
            {
                // A member out of the exact range or not finite: fold one by one, in arrival order, to find the members at fault.
            }
            finally { Array.Clear(_ids); }
        }
        if (folded)
            for (var m = 0; m < waiting.Count; m++) _folded(waiting[m], _squares[m]);
        else
            foreach (var slice in waiting) FoldAlone(index, slice);
        waiting.Clear();
        _waiting[index] ??= waiting;
    }

    private void FoldAlone(int index, UpdateSlice slice)
    {
        var squares = WeightedSliceSums.SumOfSquares(slice.AsFloats());
        if (!double.IsFinite(squares))
        {
            _refused(slice, $"slice {index} contains NaN or infinite values");
            return;
        }
        try
        {
            _round.Fold(slice.ClientId, index, slice.AsFloats(), slice.Weight);
        }
        catch (OverflowException)
        {
            _refused(slice, RoundAggregation.TooLarge(index));
            return;
        }
        _folded(slice, squares);
    }

    // The waiting slices of one index as a grouped fold's members: views of the received payloads, no copies.
    private readonly struct Group(List<UpdateSlice> slices) : ISliceGroup
    {
        public int Count => slices.Count;

        public ReadOnlySpan<float> Values(int member) => slices[member].AsFloats();

        public double Weight(int member) => slices[member].Weight;
    }
}
