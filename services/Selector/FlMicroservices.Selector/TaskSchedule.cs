using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Selector;

/// <summary>The selector's memory of each task: its spec, the last round it started and how its rounds ended, kept in its store.</summary>
public sealed class TaskSchedule(ScheduleStore store) : RestoredState
{
    private readonly ConcurrentDictionary<string, Entry> _tasks = new(StringComparer.Ordinal);

    /// <summary>A schedule that lives in memory only.</summary>
    public TaskSchedule() : this(new ScheduleStore(new InMemoryStateStore())) { }

    public override string Name => "selector schedule";

    /// <summary>Remembers a task (a redelivered TaskCreated changes nothing) and stores it before returning.</summary>
    public async Task AddAsync(string taskId, TaskSpec spec, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        await RestoreAsync(cancellationToken);
        await _tasks.GetOrAdd(taskId, id => new Entry(id, spec, createdAt, store)).SaveAsync(cancellationToken);
    }

    /// <summary>Every task the selector knows.</summary>
    public IReadOnlyCollection<Entry> Entries
    {
        get
        {
            EnsureRestored();
            return _tasks.Values.ToArray();
        }
    }

    public Entry? Find(string taskId)
    {
        EnsureRestored();
        return _tasks.GetValueOrDefault(taskId);
    }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        _tasks.Clear();
        foreach (var task in await store.LoadAsync(cancellationToken)) _tasks[task.TaskId] = new Entry(task, store);
    }

    /// <summary>One task's schedule; <see cref="TryClaimRound"/> makes starting a round idempotent under redelivery; <see cref="SaveAsync"/> stores it.</summary>
    public sealed class Entry
    {
        private readonly ScheduleStore _store;
        private readonly SemaphoreSlim _saving = new(1, 1);
        private readonly Lock _gate = new();
        private readonly SortedDictionary<int, string?> _outcomes = new(); // round -> null (succeeded) or its failure reason
        private int _lastStarted;
        private int _completed;
        private double? _expectedClients;
        private RunningRound? _running;

        internal Entry(string taskId, TaskSpec spec, DateTimeOffset? createdAt, ScheduleStore store)
        {
            TaskId = taskId;
            Spec = spec;
            CreatedAt = createdAt;
            _store = store;
        }

        internal Entry(ScheduledTask stored, ScheduleStore store) : this(stored.TaskId, stored.Spec, stored.CreatedAt, store)
        {
            _running = stored.Running;
            _lastStarted = stored.LastStartedRound;
            _completed = stored.Completed ? 1 : 0;
            _expectedClients = stored.ExpectedClients;
            foreach (var outcome in stored.Outcomes) _outcomes[outcome.Round] = outcome.FailureReason;
        }

        public string TaskId { get; }
        public TaskSpec Spec { get; }
        public DateTimeOffset? CreatedAt { get; }
        public int LastStartedRound => Volatile.Read(ref _lastStarted);
        public bool IsCompleted => Volatile.Read(ref _completed) == 1;

        public bool TryClaimRound(int round) => Interlocked.CompareExchange(ref _lastStarted, round, round - 1) == round - 1;

        public bool TryComplete() => Interlocked.Exchange(ref _completed, 1) == 0;

        /// <summary>Records how a round ended (a redelivered outcome changes nothing).</summary>
        public void RecordOutcome(int round, bool succeeded, string? failureReason)
        {
            lock (_gate) _outcomes.TryAdd(round, succeeded ? null : failureReason ?? "round failed");
        }

        /// <summary>The latest round announced by RoundStarted (a redelivered older one changes nothing).</summary>
        public RunningRound? Running
        {
            get
            {
                lock (_gate) return _running;
            }
        }

        public void RecordRunning(RunningRound round)
        {
            ArgumentNullException.ThrowIfNull(round);
            lock (_gate)
                if (_running is null || round.Round > _running.Round) _running = round;
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

        /// <summary>
        /// The expected number of clients per round that DP-FedAvg divides by: fixed by the first round that asks (later
        /// rounds get the same value, so that the denominator never depends on who is healthy at the time).
        /// </summary>
        public double ExpectedClients(double firstRoundValue)
        {
            lock (_gate) return _expectedClients ??= firstRoundValue;
        }

        /// <summary>Stores the entry as it is now; saves are serialised, so the last one written holds the latest state.</summary>
        public async Task SaveAsync(CancellationToken cancellationToken)
        {
            await _saving.WaitAsync(cancellationToken);
            try
            {
                ScheduledTask snapshot;
                lock (_gate)
                    snapshot = new ScheduledTask(TaskId, Spec, LastStartedRound, IsCompleted,
                        _outcomes.Select(o => new RoundOutcome(o.Key, o.Value)).ToArray(), _expectedClients, CreatedAt, _running);
                await _store.SaveAsync(snapshot, cancellationToken);
            }
            finally { _saving.Release(); }
        }
    }
}
