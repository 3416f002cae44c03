using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.PrivacyAccounting;

/// <summary>Every task's privacy account (<see cref="TaskPrivacy"/>), by task id.</summary>
/// <remarks>
/// Held in memory: a restarted service starts every account from zero, so a deployment must not restart it during a DP
/// task until the accounts are kept in a durable store.
/// </remarks>
public sealed class PrivacyLedger
{
    private readonly ConcurrentDictionary<string, TaskPrivacy> _tasks = new(StringComparer.Ordinal);

    /// <summary>Opens the account of a task (a second call for the same task keeps the first account).</summary>
    public void Add(string taskId, TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _tasks.TryAdd(taskId, new TaskPrivacy(taskId, spec.Privacy ?? PrivacyConfig.None, spec.Training));
    }

    /// <summary>Opens the account of a task from its privacy settings alone (local DP then assumes one batch per epoch).</summary>
    public void Add(string taskId, PrivacyConfig config) => _tasks.TryAdd(taskId, new TaskPrivacy(taskId, config));

    public TaskPrivacy? Find(string taskId) => _tasks.GetValueOrDefault(taskId);
}
