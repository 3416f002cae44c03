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
        foreach (var round in await store.LoadRoundsAsync(cancellationToken))
            if (_tasks.TryGetValue(round.TaskId, out var entry)) entry.LoadRound(round);
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
        private readonly SortedDictionary<int, RoundRecord> _rounds = new();
        private readonly HashSet<int> _unsavedRounds = [];
        private bool _paused;
        private int? _heldRound;
        private TaskModelState? _model;

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
            _paused = stored.Paused;
            _heldRound = stored.HeldRound;
            _model = stored.Model;
        }

        public string TaskId { get; }
        public TaskSpec Spec { get; }
        public DateTimeOffset? CreatedAt { get; }
        public int LastStartedRound => Volatile.Read(ref _lastStarted);
        public bool IsCompleted => Volatile.Read(ref _completed) == 1;

        public bool TryClaimRound(int round)
        {
            if (Interlocked.CompareExchange(ref _lastStarted, round, round - 1) != round - 1) return false;
            lock (_gate)
                if (_heldRound <= round) _heldRound = null;
            return true;
        }

        /// <summary>The task's TaskCompleted (how it ended); null while it runs.</summary>
        public TaskCompleted? Completion
        {
            get
            {
                lock (_gate) return _completion;
            }
        }

        /// <summary>True while an operator holds the task: no new round starts.</summary>
        public bool IsPaused
        {
            get
            {
                lock (_gate) return _paused;
            }
        }

        /// <summary>The round a pause held back (it starts on resume); null when none waits.</summary>
        public int? HeldRound
        {
            get
            {
                lock (_gate) return _heldRound;
            }
        }

        /// <summary>The task's model as the last event reported it; null before the initial model.</summary>
        public TaskModelState? Model
        {
            get
            {
                lock (_gate) return _model;
            }
        }

        public void RecordModel(TaskModelState model)
        {
            lock (_gate) _model = model;
        }

        public void Pause()
        {
            lock (_gate) _paused = true;
        }

        /// <summary>Lifts a pause; returns the round it held back, which the caller starts.</summary>
        public int? Resume()
        {
            lock (_gate)
            {
                _paused = false;
                return _heldRound;
            }
        }

        /// <summary>While paused, remembers <paramref name="round"/> as the one to start on resume and returns true; false when not paused.</summary>
        public bool TryHold(int round, TaskModelState model)
        {
            lock (_gate)
            {
                if (!_paused) return false;
                _heldRound = round;
                _model = model;
                return true;
            }
        }

        /// <summary>Records a round's start for its history.</summary>
        public void RecordStarted(RoundStarted started, DateTimeOffset startedAt)
        {
            ArgumentNullException.ThrowIfNull(started);
            lock (_gate)
            {
                var record = _rounds.GetValueOrDefault(started.Round) ?? new RoundRecord(TaskId, started.Round);
                UpdateRound(record with
                {
                    ModelVersion = started.ModelVersion, StartedAt = startedAt, Deadline = started.Deadline, Participants = started.Participants,
                });
            }
        }

        /// <summary>Records a round's completion: its outcome, metrics, contributors and rejections, and the task's model after it.</summary>
        public void RecordCompleted(RoundCompleted completed)
        {
            ArgumentNullException.ThrowIfNull(completed);
            lock (_gate)
            {
                var record = _rounds.GetValueOrDefault(completed.Round) ?? new RoundRecord(TaskId, completed.Round);
                UpdateRound(record with
                {
                    CompletedAt = completed.CompletedAt, Succeeded = completed.Succeeded, FailureReason = completed.Succeeded ? null : completed.FailureReason ?? "round failed",
                    ResultVersion = completed.ModelVersion, RolledBack = completed.RolledBack, Accuracy = completed.Accuracy, Loss = completed.Loss,
                    Contributors = completed.Contributors, Rejected = completed.Rejected, Dropouts = completed.Dropouts, Declined = completed.Declined,
                    Participants = record.Participants ?? completed.Participants,
                });
                _model = TaskModelState.Of(completed);
            }
            RecordOutcome(completed.Round, completed.Succeeded, completed.FailureReason);
        }

        /// <summary>The rounds' history in round order.</summary>
        public IReadOnlyList<RoundRecord> Rounds()
        {
            lock (_gate) return [.. _rounds.Values];
        }

        /// <summary>How many rounds have a known outcome.</summary>
        public int RoundsEnded
        {
            get
            {
                lock (_gate) return _outcomes.Count;
            }
        }

        internal void LoadRound(RoundRecord round)
        {
            lock (_gate) _rounds[round.Round] = round;
        }

        private void UpdateRound(RoundRecord record)
        {
            _rounds[record.Round] = record;
            _unsavedRounds.Add(record.Round);
        }

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
            lock (_gate)
            {
                if (!_outcomes.TryAdd(round, succeeded ? null : failureReason ?? "round failed")) return;
                var record = _rounds.GetValueOrDefault(round) ?? new RoundRecord(TaskId, round);
                if (record.Succeeded is null) UpdateRound(record with { Succeeded = succeeded, FailureReason = _outcomes[round] });
            }
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
                RoundRecord[] rounds;
                lock (_gate)
                {
                    snapshot = new ScheduledTask(TaskId, Spec, LastStartedRound, IsCompleted,
                        _outcomes.Select(o => new RoundOutcome(o.Key, o.Value)).ToArray(), _expectedClients, CreatedAt, _running,
                        _start, _startPublished, _completion, _completionPublished, _paused, _heldRound, _model);
                    rounds = [.. _unsavedRounds.Select(r => _rounds[r])];
                }
                foreach (var round in rounds) await _store.SaveRoundAsync(round, cancellationToken);
                await _store.SaveAsync(snapshot, cancellationToken);
                lock (_gate)
                    foreach (var round in rounds)
                        if (ReferenceEquals(_rounds[round.Round], round)) _unsavedRounds.Remove(round.Round);
            }
            finally { _saving.Release(); }
        }
    }
}
