using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.PrivacyAccounting;

/// <summary>Every task's privacy account (<see cref="TaskPrivacy"/>), by task id.</summary>
/// <remarks>
/// With a journal (<see cref="IPrivacyJournal"/>, <c>PrivacyAccounting:LedgerDirectory</c>) every fact is written before
/// it takes effect and a restarted service rebuilds every account from it: the same ε, the same rounds allowed, the same
/// per-client accounts. Without one the accounts live in memory only and a restart starts them from zero.
/// </remarks>
public sealed class PrivacyLedger
{
    private readonly ConcurrentDictionary<string, TaskPrivacy> _tasks = new(StringComparer.Ordinal);
    private readonly IPrivacyJournal? _journal;
    private readonly Lock _opening = new();

    public PrivacyLedger()
    {
    }

    /// <summary>A ledger kept in <paramref name="journal"/>, rebuilt from what it already holds.</summary>
    /// <exception cref="InvalidDataException">A journal does not start with its task's settings, or holds an unknown entry.</exception>
    public PrivacyLedger(IPrivacyJournal journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        _journal = journal;
        foreach (var (taskId, entries) in journal.ReadAll())
        {
            if (entries.Count == 0) continue;
            if (entries[0] is not { Kind: PrivacyJournalEntry.Opened, Config: { } config } opened)
                throw new InvalidDataException($"The privacy journal of task '{taskId}' does not start with the task's settings.");
            var task = NewTask(taskId, config, opened.Training);
            foreach (var entry in entries.Skip(1)) task.Replay(entry);
            _tasks[taskId] = task;
        }
    }

    /// <summary>Accounts rebuilt from the journal when the ledger was created, or opened since.</summary>
    public int TaskCount => _tasks.Count;

    /// <summary>Opens the account of a task (a second call for the same task keeps the first account).</summary>
    public void Add(string taskId, TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Open(taskId, spec.Privacy ?? PrivacyConfig.None, spec.Training);
    }

    /// <summary>Opens the account of a task from its privacy settings alone (local DP then assumes one batch per epoch).</summary>
    public void Add(string taskId, PrivacyConfig config) => Open(taskId, config, null);

    public TaskPrivacy? Find(string taskId) => _tasks.GetValueOrDefault(taskId);

    /// <summary>
    /// The task's account, waiting up to <paramref name="wait"/> for its TaskCreated: the selector and this service receive
    /// it independently, and on a loaded machine the selector's first budget check may come first. Null when it never came.
    /// </summary>
    public async Task<TaskPrivacy?> FindAsync(string taskId, TimeSpan wait, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + wait;
        while (true)
        {
            if (Find(taskId) is { } task) return task;
            if (DateTime.UtcNow >= until) return null;
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private void Open(string taskId, PrivacyConfig config, TrainingConfig? training)
    {
        ArgumentNullException.ThrowIfNull(taskId);
        ArgumentNullException.ThrowIfNull(config);
        lock (_opening)
        {
            if (_tasks.ContainsKey(taskId)) return;
            _journal?.Append(taskId, new PrivacyJournalEntry(PrivacyJournalEntry.Opened, Config: config, Training: training));
            _tasks[taskId] = NewTask(taskId, config, training);
        }
    }

    private TaskPrivacy NewTask(string taskId, PrivacyConfig config, TrainingConfig? training) =>
        new(taskId, config, training, _journal is null ? null : entry => _journal.Append(taskId, entry));
}
