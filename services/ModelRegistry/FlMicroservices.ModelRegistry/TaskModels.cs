using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Models;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Training;

namespace FlMicroservices.ModelRegistry;

/// <summary>The registry's view of each task: its spec, the current and best versions, and an evaluator; kept in its store.</summary>
public sealed class TaskModels(TaskModelsStore store) : RestoredState, IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _tasks = new(StringComparer.Ordinal);

    /// <summary>Task models that live in memory only.</summary>
    public TaskModels() : this(new TaskModelsStore(new InMemoryStateStore())) { }

    public override string Name => "model registry tasks";

    public Entry GetOrAdd(string taskId, TaskSpec spec)
    {
        EnsureRestored();
        return _tasks.GetOrAdd(taskId, id => new Entry(id, spec));
    }

    public Entry? Find(string taskId)
    {
        EnsureRestored();
        return _tasks.GetValueOrDefault(taskId);
    }

    /// <summary>Stores the entry as it is now; call it holding the entry's <see cref="Entry.Gate"/>, before publishing what changed.</summary>
    public Task SaveAsync(Entry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return store.SaveAsync(new TaskModelsDocument(entry.TaskId, entry.Spec, entry.History, entry.LatestVersion,
            [.. entry.RoundsDone.Order()], [.. entry.RoundVersions.OrderBy(v => v.Key).Select(v => v.Value)],
            [.. entry.Published.OrderBy(p => p.Round).ThenBy(p => p.Event, StringComparer.Ordinal).Select(p => new PublishedEvent(p.Round, p.Event))],
            [.. entry.Promotions], entry.PendingPromotion),
            cancellationToken);
    }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        _tasks.Clear();
        foreach (var task in await store.LoadAsync(cancellationToken))
        {
            var entry = new Entry(task.TaskId, task.Spec) { History = task.History, LatestVersion = task.LatestVersion };
            entry.RoundsDone.UnionWith(task.RoundsDone);
            foreach (var candidate in task.RoundVersions) entry.RoundVersions[candidate.Info.Round] = candidate;
            foreach (var published in task.Published) entry.Published.Add((published.Round, published.Event));
            entry.Promotions.AddRange(task.Promotions ?? []);
            entry.PendingPromotion = task.PendingPromotion;
            _tasks[task.TaskId] = entry;
        }
    }

    public void Dispose()
    {
        foreach (var entry in _tasks.Values) entry.Dispose();
    }

    /// <summary>One task's model history; <see cref="Gate"/> serialises its updates.</summary>
    public sealed class Entry(string taskId, TaskSpec spec) : IDisposable
    {
        private LocalTrainer? _evaluator;

        public string TaskId { get; } = taskId;
        public TaskSpec Spec { get; } = spec;
        public SemaphoreSlim Gate { get; } = new(1, 1);
        /// <summary>Current and best versions and the rollback policy's counters (docs/model-lifecycle.md).</summary>
        public VersionHistory History { get; set; } = VersionHistory.Initial(0, null);
        public int CurrentVersion => History.Current;
        public int LatestVersion { get; set; }
        public HashSet<int> RoundsDone { get; } = [];

        /// <summary>The version each round's candidate was stored as and the policy's decision, so a retried round stores nothing twice.</summary>
        public Dictionary<int, StoredCandidate> RoundVersions { get; } = [];

        /// <summary>The events of a round already published (by type name), so a retry publishes only what is missing.</summary>
        public HashSet<(int Round, string Event)> Published { get; } = [];

        /// <summary>Versions made current by an operator, in order (docs/model-lifecycle.md, "By hand").</summary>
        public List<OperatorPromotion> Promotions { get; } = [];

        /// <summary>The version an operator made current, until a round trained from it comes back; candidates of rounds trained from another version do not replace it.</summary>
        public int? PendingPromotion { get; set; }

        public LocalTrainer Evaluator => _evaluator ??= new LocalTrainer(Spec.ModelName, Spec.SampleShape, Spec.ClassCount);

        public void Dispose()
        {
            _evaluator?.Dispose();
            Gate.Dispose();
        }
    }
}

/// <summary>A round's stored candidate and what the rollback policy decided for it.</summary>
public sealed record StoredCandidate(ModelVersionInfo Info, RollbackDecision Decision);
