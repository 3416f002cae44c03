using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Models;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Training;

namespace FlMicroservices.ModelRegistry;

/// <summary>The registry's view of each task: its spec, the current and best versions, and an evaluator.</summary>
public sealed class TaskModels : IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _tasks = new(StringComparer.Ordinal);

    public Entry GetOrAdd(string taskId, TaskSpec spec) => _tasks.GetOrAdd(taskId, _ => new Entry(spec));

    public Entry? Find(string taskId) => _tasks.GetValueOrDefault(taskId);

    public void Dispose()
    {
        foreach (var entry in _tasks.Values) entry.Dispose();
    }

    /// <summary>One task's model history; <see cref="Gate"/> serialises its updates.</summary>
    public sealed class Entry(TaskSpec spec) : IDisposable
    {
        private LocalTrainer? _evaluator;

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
