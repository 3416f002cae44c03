using System.Collections.Concurrent;

namespace FlMicroservices.Selector;

/// <summary>How long the selector took to choose each recent round's participants (also the fl.selector.selection.duration metric).</summary>
public sealed class SelectionTimings
{
    /// <summary>Rounds remembered; the oldest are forgotten beyond it.</summary>
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<(string Task, int Round), double> _seconds = new();
    private readonly ConcurrentQueue<(string Task, int Round)> _order = new();

    public void Record(string taskId, int round, double seconds)
    {
        if (!_seconds.TryAdd((taskId, round), seconds)) return;
        _order.Enqueue((taskId, round));
        while (_order.Count > Capacity && _order.TryDequeue(out var oldest)) _seconds.TryRemove(oldest, out _);
    }

    /// <summary>Seconds spent choosing the round's participants; null when the selector did not choose them (or forgot).</summary>
    public double? SecondsOf(string taskId, int round) => _seconds.TryGetValue((taskId, round), out var seconds) ? seconds : null;
}
