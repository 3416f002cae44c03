using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.PrivacyAccounting;

/// <summary>Per task: its privacy settings and the epsilon spent so far.</summary>
/// <remarks>
/// This version accepts only tasks without differential privacy (the registry refuses the others), so every
/// round fits and spends nothing; the accountant that computes epsilon comes with the privacy work.
/// </remarks>
public sealed class PrivacyLedger
{
    private readonly ConcurrentDictionary<string, TaskPrivacy> _tasks = new(StringComparer.Ordinal);

    public void Add(string taskId, PrivacyConfig config) => _tasks.TryAdd(taskId, new TaskPrivacy(config));

    public TaskPrivacy? Find(string taskId) => _tasks.GetValueOrDefault(taskId);

    /// <summary>The privacy state of one task.</summary>
    public sealed class TaskPrivacy(PrivacyConfig config)
    {
        public PrivacyConfig Config { get; } = config;
        public double EpsilonSpent { get; set; }
        public int RoundsAccounted { get; set; }
    }
}
