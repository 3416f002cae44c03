using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.State;
using MassTransit;

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
        private readonly SemaphoreSlim _publishing = new(1, 1);
        private readonly Lock _gate = new();
        private readonly SortedDictionary<int, string?> _outcomes = new(); // round -> null (succeeded) or its failure reason
        private int _lastStarted;
        private int _completed;
        private double? _expectedClients;
        private RunningRound? _running;
        private RoundStarted? _start;
        private int _startPublished;
        private TaskCompleted? _completion;
        private bool _completionPublished;

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
            _start = stored.Start;
            _startPublished = stored.StartPublished;
            _completion = stored.Completion;
            _completionPublished = stored.CompletionPublished;
        }

        public string TaskId { get; }
        public TaskSpec Spec { get; }
        public DateTimeOffset? CreatedAt { get; }
        public int LastStartedRound => Volatile.Read(ref _lastStarted);
        public bool IsCompleted => Volatile.Read(ref _completed) == 1;

        public bool TryClaimRound(int round) => Interlocked.CompareExchange(ref _lastStarted, round, round - 1) == round - 1;

        /// <summary>Ends the task with <paramref name="completion"/> as its TaskCompleted, unless it ended before; publish it with <see cref="PublishPendingAsync"/>.</summary>
        public bool TryComplete(TaskCompleted completion)
        {
            ArgumentNullException.ThrowIfNull(completion);
            lock (_gate)
            {
                if (Interlocked.Exchange(ref _completed, 1) == 1) return false;
                _completion = completion;
                return true;
            }
        }

        /// <summary>Puts the claimed round's RoundStarted into the outbox; publish it with <see cref="PublishPendingAsync"/>.</summary>
        public void SetStart(RoundStarted started)
        {
            ArgumentNullException.ThrowIfNull(started);
            lock (_gate)
                if (_start is null || started.Round > _start.Round) _start = started;
        }

        /// <summary>
        /// The outbox: stores the entry, then publishes the RoundStarted and TaskCompleted not yet out (each with its stable id) and
        /// records each as published; a retry or a restarted selector publishes what a failure left pending (docs/events.md, "Delivery").
        /// </summary>
        public async Task PublishPendingAsync(IPublishEndpoint publish, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(publish);
            await _publishing.WaitAsync(cancellationToken);
            try
            {
                RoundStarted? start;
                TaskCompleted? completion;
                lock (_gate)
                {
                    start = _start is { } s && s.Round > _startPublished ? s : null;
                    completion = _completionPublished ? null : _completion;
                }
                if (start is null && completion is null) return;
                await SaveAsync(cancellationToken); // what goes out is stored first
                if (start is not null)
                {
                    await publish.PublishStableAsync(start, TaskId, start.Round, cancellationToken);
                    lock (_gate) _startPublished = Math.Max(_startPublished, start.Round);
                    await SaveAsync(cancellationToken);
                }
                if (completion is not null)
                {
                    await publish.PublishStableAsync(completion, TaskId, 0, cancellationToken);
                    lock (_gate) _completionPublished = true;
                    await SaveAsync(cancellationToken);
                }
            }
            finally { _publishing.Release(); }
        }

        /// <summary>True while a stored RoundStarted or TaskCompleted has not been published.</summary>
        public bool HasPending
        {
            get
            {
                lock (_gate) return (_start is { } s && s.Round > _startPublished) || (_completion is not null && !_completionPublished);
            }
        }

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
                        _outcomes.Select(o => new RoundOutcome(o.Key, o.Value)).ToArray(), _expectedClients, CreatedAt, _running,
                        _start, _startPublished, _completion, _completionPublished);
                await _store.SaveAsync(snapshot, cancellationToken);
            }
            finally { _saving.Release(); }
        }
    }
}
