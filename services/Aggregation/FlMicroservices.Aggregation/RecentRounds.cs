namespace FlMicroservices.Aggregation;

/// <summary>
/// The rounds an aggregator has closed, remembered up to a bound (the oldest are forgotten first), so that redelivered
/// messages and late slices of a closed round are recognised. Not thread-safe: its owner serialises access.
/// </summary>
public sealed class RecentRounds(int capacity = 10_000)
{
    private readonly HashSet<(string Task, int Round)> _set = new();
    private readonly LinkedList<(string Task, int Round)> _order = new();

    public int Count => _set.Count;

    public bool Contains((string Task, int Round) key) => _set.Contains(key);

    /// <summary>Remembers <paramref name="key"/>; false when it already was.</summary>
    public bool Add((string Task, int Round) key)
    {
        if (!_set.Add(key)) return false;
        _order.AddLast(key);
        while (_order.Count > capacity)
        {
            _set.Remove(_order.First!.Value);
            _order.RemoveFirst();
        }
        return true;
    }

    /// <summary>Oldest first.</summary>
    public IEnumerable<(string Task, int Round)> InOrder => _order;
}
