using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Aggregation;

/// <summary>
/// Per task folding late updates, the updates of its last closed round that arrive after the close: kept until whole, then folded into
/// the next round (docs/selection.md, "Late updates"). Only that one round's, from its participants that did not contribute, within
/// <see cref="AggregationOptions.HeldSliceBudgetBytes"/>; the next close replaces them.
/// </summary>
public sealed class LateUpdateStore(IOptions<AggregationOptions> options)
{
    private readonly object _sync = new();
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private long _bytes;

    /// <summary>Payload bytes of the late slices kept.</summary>
    public long Bytes
    {
        get { lock (_sync) return _bytes; }
    }

    /// <summary>
    /// A round of the task closed: its participants in <paramref name="waitedFor"/> (the ones that did not contribute) may still send,
    /// for the next round when <paramref name="folds"/>. Returns how many late updates of the task's previous round were still kept
    /// (now two rounds old, dropped).
    /// </summary>
    public int RoundClosed(RoundStarted closed, IEnumerable<string> waitedFor, bool folds)
    {
        ArgumentNullException.ThrowIfNull(closed);
        ArgumentNullException.ThrowIfNull(waitedFor);
        lock (_sync)
        {
            var dropped = 0;
            if (_windows.Remove(closed.TaskId, out var previous))
            {
                dropped = previous.Pending.Count;
                _bytes -= previous.Pending.Values.Sum(p => p.Bytes);
            }
            if (folds) _windows[closed.TaskId] = new Window(closed, new HashSet<string>(waitedFor, StringComparer.Ordinal));
            return dropped;
        }
    }

    /// <summary>The closed round a late message of (<paramref name="taskId"/>, <paramref name="round"/>) belongs to, when its task folds it.</summary>
    public RoundStarted? Folding(string taskId, int round)
    {
        lock (_sync) return _windows.TryGetValue(taskId, out var window) && window.Started.Round == round ? window.Started : null;
    }

    /// <summary>Keeps a late slice; false when its round does not fold, its client is not one the round waited for, or the budget is spent.</summary>
    public bool Keep(UpdateSlice slice, StreamPosition? position)
    {
        ArgumentNullException.ThrowIfNull(slice);
        lock (_sync)
        {
            if (PendingOf(slice.TaskId, slice.Round, slice.ClientId) is not { } pending) return false;
            if (pending.Slices.ContainsKey(slice.SliceIndex)) return true; // a redelivery
            if (_bytes + slice.Payload.Length > options.Value.HeldSliceBudgetBytes) return false;
            pending.Slices[slice.SliceIndex] = (slice, position);
            pending.Bytes += slice.Payload.Length;
            _bytes += slice.Payload.Length;
            return true;
        }
    }

    /// <summary>Keeps a late manifest (the first one of its client); false as for <see cref="Keep(UpdateSlice, StreamPosition?)"/>.</summary>
    public bool Keep(UpdateSubmitted manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        lock (_sync)
        {
            if (PendingOf(manifest.TaskId, manifest.Round, manifest.ClientId) is not { } pending) return false;
            pending.Manifest ??= manifest;
            return true;
        }
    }

    /// <summary>The task's late updates of <paramref name="closedRound"/> that are whole (a manifest and every slice it announces), taken out.</summary>
    public IReadOnlyList<(UpdateSubmitted Manifest, IReadOnlyList<(UpdateSlice Slice, StreamPosition? Position)> Slices)> TakeWhole(string taskId, int closedRound)
    {
        lock (_sync)
        {
            if (!_windows.TryGetValue(taskId, out var window) || window.Started.Round != closedRound) return [];
            var whole = window.Pending.Where(p => p.Value.Manifest is { } m && p.Value.Slices.Count == m.SliceCount)
                .OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
            foreach (var (id, pending) in whole)
            {
                window.Pending.Remove(id);
                window.Eligible.Remove(id); // folded once
                _bytes -= pending.Bytes;
            }
            return [.. whole.Select(p => (p.Value.Manifest!, (IReadOnlyList<(UpdateSlice, StreamPosition?)>)[.. p.Value.Slices.OrderBy(s => s.Key).Select(s => s.Value)]))];
        }
    }

    private Pending? PendingOf(string taskId, int round, string clientId)
    {
        if (!_windows.TryGetValue(taskId, out var window) || window.Started.Round != round || !window.Eligible.Contains(clientId)) return null;
        if (!window.Pending.TryGetValue(clientId, out var pending)) window.Pending[clientId] = pending = new Pending();
        return pending;
    }

    private sealed record Window(RoundStarted Started, HashSet<string> Eligible)
    {
        public Dictionary<string, Pending> Pending { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Pending
    {
        public UpdateSubmitted? Manifest { get; set; }
        public SortedDictionary<int, (UpdateSlice Slice, StreamPosition? Position)> Slices { get; } = new();
        public long Bytes { get; set; }
    }
}
