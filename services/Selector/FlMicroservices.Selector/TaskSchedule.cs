using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Selector;

/// <summary>The selector's memory of each task: its spec and the last round it started.</summary>
public sealed class TaskSchedule
{
    private readonly ConcurrentDictionary<string, Entry> _tasks = new(StringComparer.Ordinal);

    public void Add(string taskId, TaskSpec spec) => _tasks.TryAdd(taskId, new Entry(spec));

    public Entry? Find(string taskId) => _tasks.GetValueOrDefault(taskId);

    /// <summary>One task's schedule; <see cref="TryClaimRound"/> makes starting a round idempotent under redelivery.</summary>
    public sealed class Entry(TaskSpec spec)
    {
        private int _lastStarted;
        private int _completed;

        public TaskSpec Spec { get; } = spec;
        public int LastStartedRound => Volatile.Read(ref _lastStarted);
        public bool IsCompleted => Volatile.Read(ref _completed) == 1;

        public bool TryClaimRound(int round) => Interlocked.CompareExchange(ref _lastStarted, round, round - 1) == round - 1;

        public bool TryComplete() => Interlocked.Exchange(ref _completed, 1) == 0;

        private readonly SortedDictionary<int, string?> _outcomes = new(); // round -> null (succeeded) or its failure reason

        /// <summary>Records how a round ended (a redelivered outcome changes nothing).</summary>
        public void RecordOutcome(int round, bool succeeded, string? failureReason)
        {
            lock (_gate) _outcomes.TryAdd(round, succeeded ? null : failureReason ?? "round failed");
        }

        /// <summary>True once the round's outcome is known.</summary>
        public bool HasOutcome(int round)
        {
            lock (_gate) return _outcomes.ContainsKey(round);
        }

        /// <summary>The failed rounds so far, with their reasons, in round order.</summary>
        public IReadOnlyList<(int Round, string Reason)> FailedRounds()
        {
            lock (_gate) return _outcomes.Where(o => o.Value is not null).Select(o => (o.Key, o.Value!)).ToArray();
        }

        private readonly Lock _gate = new();
        private double? _expectedClients;

        /// <summary>
        /// The expected number of clients per round that DP-FedAvg divides by: fixed by the first round that asks (later
        /// rounds get the same value, so that the denominator never depends on who is healthy at the time).
        /// </summary>
        public double ExpectedClients(double firstRoundValue)
        {
            lock (_gate) return _expectedClients ??= firstRoundValue;
        }
    }
}
