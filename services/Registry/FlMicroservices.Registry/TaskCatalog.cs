using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Registry;

/// <summary>The tasks the registry has accepted.</summary>
public sealed class TaskCatalog
{
    private readonly ConcurrentDictionary<string, TaskSpec> _tasks = new(StringComparer.Ordinal);

    public bool TryAdd(string taskId, TaskSpec spec) => _tasks.TryAdd(taskId, spec);

    public TaskSpec? Find(string taskId) => _tasks.GetValueOrDefault(taskId);

    public IReadOnlyCollection<string> TaskIds => _tasks.Keys.ToArray();
}
