using System.Threading.Channels;
using FlMicroservices.Aggregation.SecAgg;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Aggregation;

/// <summary>Every round this aggregation instance knows, plain and secure: open, closed, and what arrived before its RoundStarted.</summary>
/// <remarks>What waits for a round not opened yet is bounded in bytes and count and expires (docs/security.md, "Limits").</remarks>
public sealed class RoundRegistry(IOptions<AggregationOptions> options, TimeProvider time) : IDisposable
{
    /// <summary>Slices kept for rounds not opened yet; later ones are dropped with an error.</summary>
    public const int MaxHeldSlices = 100_000;

    /// <summary>Manifests kept for rounds not opened yet; later ones are dropped with an error.</summary>
    public const int MaxHeldManifests = 100_000;

    public RoundRegistry() : this(Options.Create(new AggregationOptions()), TimeProvider.System)
    {
    }

    private readonly object _sync = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string Task, int Round), RoundAggregation> _open = new();
    private readonly Dictionary<(string Task, int Round), SecureRound> _secure = new();
    private readonly RecentRounds _closed = new();
    private readonly RecentRounds _closedSecure = new();
    // What overtook its RoundStarted, with when it arrived.
    private readonly List<(UpdateSlice Slice, StreamPosition? Position, DateTimeOffset Since)> _heldSlices = new();
    private long _heldSliceBytes;
    private readonly List<(UpdateSubmitted Manifest, DateTimeOffset Since)> _heldManifests = new();
    private readonly List<(UpdateDeclined Declined, DateTimeOffset Since)> _heldDeclines = new();
    private readonly List<((string Task, int Round) Key, object Message)> _heldSecure = new();
    // One strategy instance per task: server optimizers (FedAvgM, FedAdam, ...) keep their state across rounds.
    private readonly Dictionary<string, IAggregationStrategy> _strategies = new(StringComparer.Ordinal);
    // Per task, the update norms of the last successful round's contributors: the reference for norm-outlier checks.
    private readonly Dictionary<string, double[]> _lastNorms = new(StringComparer.Ordinal);
    private readonly Channel<((string Task, int Round) Key, DateTimeOffset Deadline)> _opened = Channel.CreateUnbounded<((string Task, int Round) Key, DateTimeOffset Deadline)>();

    /// <summary>Serialises the work on plain rounds: whoever changes or closes one holds it; dispose the result to release.</summary>
    public async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        return new Releaser(_gate);
    }

    /// <summary>Plain rounds open right now.</summary>
    public int OpenRoundCount
    {
        get { lock (_sync) return _open.Count; }
    }

    /// <summary>Secure rounds open right now.</summary>
    public int OpenSecureRoundCount
    {
        get { lock (_sync) return _secure.Count; }
    }

    /// <summary>Plain rounds opened (or restored), in order, for whoever closes them at their deadline.</summary>
    public ChannelReader<((string Task, int Round) Key, DateTimeOffset Deadline)> Opened => _opened.Reader;

    public bool TryGetOpen((string Task, int Round) key, out RoundAggregation round)
    {
        lock (_sync) return _open.TryGetValue(key, out round!);
    }

    public bool IsClosed((string Task, int Round) key)
    {
        lock (_sync) return _closed.Contains(key);
    }

    /// <summary>Open or closed: a RoundStarted for it is a redelivery.</summary>
    public bool Knows((string Task, int Round) key)
    {
        lock (_sync) return _open.ContainsKey(key) || _closed.Contains(key);
    }

    public void Open(RoundAggregation round)
    {
        var key = (round.Started.TaskId, round.Started.Round);
        lock (_sync) _open[key] = round;
        _opened.Writer.TryWrite((key, round.Started.Deadline));
    }

    /// <summary>Takes the round out of the open ones (its result is being formed).</summary>
    public void RemoveOpen((string Task, int Round) key)
    {
        lock (_sync) _open.Remove(key);
    }

    /// <summary>Records the round as closed: later messages for it are late.</summary>
    public void MarkClosed((string Task, int Round) key)
    {
        lock (_sync) _closed.Add(key);
    }

    /// <summary>The open plain rounds, a snapshot.</summary>
    public IReadOnlyList<RoundAggregation> OpenRounds()
    {
        lock (_sync) return [.. _open.Values];
    }

    /// <summary>The closed plain rounds, oldest first, a snapshot.</summary>
    public IReadOnlyList<(string Task, int Round)> ClosedRounds()
    {
        lock (_sync) return [.. _closed.InOrder];
    }

    public int ClosedCount
    {
        get { lock (_sync) return _closed.Count; }
    }

    /// <summary>Slices waiting for their round.</summary>
    public int HeldSliceCount
    {
        get { lock (_sync) return _heldSlices.Count; }
    }

    /// <summary>Bytes of slice payload waiting for their round.</summary>
    public long HeldSliceBytes
    {
        get { lock (_sync) return _heldSliceBytes; }
    }

    /// <summary>
    /// Keeps a slice that overtook its RoundStarted; false (and the slice is not kept) when <see cref="MaxHeldSlices"/> slices or
    /// <see cref="AggregationOptions.HeldSliceBudgetBytes"/> bytes already wait.
    /// </summary>
    public bool HoldSlice(UpdateSlice slice, StreamPosition? position)
    {
        ArgumentNullException.ThrowIfNull(slice);
        lock (_sync)
        {
            if (_heldSlices.Count >= MaxHeldSlices || _heldSliceBytes + slice.Payload.Length > options.Value.HeldSliceBudgetBytes) return false;
            _heldSlices.Add((slice, position, time.GetUtcNow()));
            _heldSliceBytes += slice.Payload.Length;
            return true;
        }
    }

    /// <summary>Keeps a manifest that overtook its RoundStarted; false when <see cref="MaxHeldManifests"/> already wait.</summary>
    public bool HoldManifest(UpdateSubmitted manifest)
    {
        lock (_sync)
        {
            if (_heldManifests.Count >= MaxHeldManifests) return false;
            _heldManifests.Add((manifest, time.GetUtcNow()));
            return true;
        }
    }

    /// <summary>Keeps a decline that overtook its RoundStarted; false when <see cref="MaxHeldManifests"/> already wait.</summary>
    public bool HoldDecline(UpdateDeclined declined)
    {
        lock (_sync)
        {
            if (_heldDeclines.Count >= MaxHeldManifests) return false;
            _heldDeclines.Add((declined, time.GetUtcNow()));
            return true;
        }
    }

    /// <summary>
    /// Drops the slices and manifests that waited longer than <see cref="AggregationOptions.HeldLifetime"/> for a round that never
    /// opened, so that they neither hold memory nor keep the update stream's offsets from being committed.
    /// </summary>
    /// <returns>The rounds whose waiting messages were dropped, with how many slices and manifests each lost.</returns>
    public IReadOnlyList<ExpiredHold> ExpireHeld()
    {
        var cutoff = time.GetUtcNow() - options.Value.HeldLifetime;
        var expired = new Dictionary<(string Task, int Round), (int Slices, int Manifests)>();
        lock (_sync)
        {
            foreach (var (slice, _, since) in _heldSlices.Where(h => h.Since <= cutoff))
            {
                var (slices, manifests) = expired.GetValueOrDefault((slice.TaskId, slice.Round));
                expired[(slice.TaskId, slice.Round)] = (slices + 1, manifests);
                _heldSliceBytes -= slice.Payload.Length;
            }
            _heldSlices.RemoveAll(h => h.Since <= cutoff);
            foreach (var (manifest, _) in _heldManifests.Where(h => h.Since <= cutoff))
            {
                var (slices, manifests) = expired.GetValueOrDefault((manifest.TaskId, manifest.Round));
                expired[(manifest.TaskId, manifest.Round)] = (slices, manifests + 1);
            }
            _heldManifests.RemoveAll(h => h.Since <= cutoff);
            _heldDeclines.RemoveAll(h => h.Since <= cutoff); // they hold no update: nothing to report
        }
        return [.. expired.Select(e => new ExpiredHold(e.Key.Task, e.Key.Round, e.Value.Slices, e.Value.Manifests))];
    }

    /// <summary>The slices, manifests and declines kept for the round, taken out of the registry.</summary>
    public (List<(UpdateSlice Slice, StreamPosition? Position)> Slices, List<UpdateSubmitted> Manifests, List<UpdateDeclined> Declines) TakeHeld((string Task, int Round) key)
    {
        lock (_sync)
        {
            bool Slice((UpdateSlice Slice, StreamPosition? Position, DateTimeOffset) s) => s.Slice.TaskId == key.Task && s.Slice.Round == key.Round;
            bool Manifest((UpdateSubmitted Manifest, DateTimeOffset) m) => m.Manifest.TaskId == key.Task && m.Manifest.Round == key.Round;
            var slices = _heldSlices.FindAll(Slice).Select(h => (h.Slice, h.Position)).ToList();
            _heldSliceBytes -= slices.Sum(h => (long)h.Slice.Payload.Length);
            _heldSlices.RemoveAll(Slice);
            var manifests = _heldManifests.FindAll(Manifest).Select(h => h.Manifest).ToList();
            _heldManifests.RemoveAll(Manifest);
            var declines = _heldDeclines.Where(d => d.Declined.TaskId == key.Task && d.Declined.Round == key.Round).Select(d => d.Declined).ToList();
            _heldDeclines.RemoveAll(d => d.Declined.TaskId == key.Task && d.Declined.Round == key.Round);
            return (slices, manifests, declines);
        }
    }

    /// <summary>The slices waiting for their round, a snapshot.</summary>
    public IReadOnlyList<(UpdateSlice Slice, StreamPosition? Position)> HeldSlices()
    {
        lock (_sync) return [.. _heldSlices.Select(h => (h.Slice, h.Position))];
    }

    /// <summary>The manifests waiting for their round, a snapshot.</summary>
    public IReadOnlyList<UpdateSubmitted> HeldManifests()
    {
        lock (_sync) return [.. _heldManifests.Select(h => h.Manifest)];
    }

    /// <summary>The declines waiting for their round, a snapshot.</summary>
    public IReadOnlyList<UpdateDeclined> HeldDeclines()
    {
        lock (_sync) return [.. _heldDeclines.Select(h => h.Declined)];
    }

    /// <summary>The task's strategy, built by <paramref name="create"/> the first time.</summary>
    public IAggregationStrategy StrategyFor(string taskId, Func<IAggregationStrategy> create)
    {
        lock (_sync)
        {
            if (_strategies.TryGetValue(taskId, out var strategy)) return strategy;
            return _strategies[taskId] = create();
        }
    }

    public IAggregationStrategy? StrategyOf(string taskId)
    {
        lock (_sync) return _strategies.GetValueOrDefault(taskId);
    }

    /// <summary>The update norms of the task's last successful round (null: none yet).</summary>
    public double[]? LastNorms(string taskId)
    {
        lock (_sync) return _lastNorms.GetValueOrDefault(taskId);
    }

    public void SetLastNorms(string taskId, double[] norms)
    {
        lock (_sync) _lastNorms[taskId] = norms;
    }

    /// <summary>Every task's last norms, a copy.</summary>
    public Dictionary<string, double[]> AllLastNorms()
    {
        lock (_sync) return new Dictionary<string, double[]>(_lastNorms);
    }

    /// <summary>Whether the round is a secure one this instance opened or closed.</summary>
    public bool IsSecure((string Task, int Round) key)
    {
        lock (_sync) return _secure.ContainsKey(key) || _closedSecure.Contains(key);
    }

    /// <summary>
    /// Opens a secure round with <paramref name="create"/> (null from it: closed without running) and takes what arrived for it
    /// first; null when the round is already known.
    /// </summary>
    internal SecureRound? OpenSecure((string Task, int Round) key, Func<SecureRound?> create, out List<object> early)
    {
        early = [];
        lock (_sync)
        {
            if (_secure.ContainsKey(key) || _closedSecure.Contains(key)) return null;
            var round = create();
            if (round is null)
            {
                _closedSecure.Add(key);
                return null;
            }
            _secure[key] = round;
            early = _heldSecure.Where(h => h.Key == key).Select(h => h.Message).ToList();
            _heldSecure.RemoveAll(h => h.Key == key);
            return round;
        }
    }

    /// <summary>The open secure round of a message; otherwise the message is late, kept (below <paramref name="maxHeld"/>) or dropped.</summary>
    internal SecureRound? RouteSecure((string Task, int Round) key, object message, int maxHeld, out SecureRouting routing)
    {
        lock (_sync)
        {
            if (_secure.TryGetValue(key, out var round))
            {
                routing = SecureRouting.Open;
                return round;
            }
            if (_closedSecure.Contains(key)) routing = SecureRouting.Late;
            else if (_heldSecure.Count < maxHeld)
            {
                _heldSecure.Add((key, message));
                routing = SecureRouting.Held;
            }
            else routing = SecureRouting.Dropped;
            return null;
        }
    }

    internal void CloseSecure((string Task, int Round) key)
    {
        lock (_sync)
        {
            _secure.Remove(key);
            _closedSecure.Add(key);
        }
    }

    /// <summary>Every open secure round, taken out of the registry (shutdown).</summary>
    internal List<SecureRound> TakeSecureRounds()
    {
        lock (_sync)
        {
            var rounds = _secure.Values.ToList();
            _secure.Clear();
            return rounds;
        }
    }

    public void Dispose()
    {
        _opened.Writer.TryComplete();
        _gate.Dispose();
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}
