using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Privacy;

namespace FlMicroservices.PrivacyAccounting;

/// <summary>
/// The privacy account of one task: the RDP accountant state of everything its rounds released, the check "does the next
/// round fit the budget?", and the record of each completed round. Thread-safe (one lock per task).
/// </summary>
/// <remarks>How central and local DP rounds are accounted and checked: docs/infrastructure.md, "Privacy accounting (TaskPrivacy)".</remarks>
public sealed class TaskPrivacy
{
    private readonly Lock _gate = new();
    private readonly RdpAccountant _completed = new();
    private readonly SortedDictionary<int, double> _allowed = new();
    private readonly HashSet<int> _completedRounds = [];
    private readonly Dictionary<string, ClientAccount> _clients = new(StringComparer.Ordinal);
    private readonly List<PrivacyRound> _rounds = [];
    private readonly Action<PrivacyJournalEntry>? _journal;
    private double _lastSampleRate = 1;
    private bool _exhaustionAnnounced;

    /// <param name="journal">Called with each fact before it takes effect, to keep it durably (<see cref="IPrivacyJournal"/>);
    /// an exception from it leaves the account unchanged.</param>
    public TaskPrivacy(string taskId, PrivacyConfig config, TrainingConfig? training = null, Action<PrivacyJournalEntry>? journal = null)
    {
        ArgumentNullException.ThrowIfNull(taskId);
        ArgumentNullException.ThrowIfNull(config);
        TaskId = taskId;
        Config = config;
        Training = training;
        _journal = journal;
    }

    /// <summary>Applies a fact read back from the journal (as it was applied when it was written; nothing is journaled again).</summary>
    /// <exception cref="InvalidDataException">An entry of an unknown kind.</exception>
    public void Replay(PrivacyJournalEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            switch (entry.Kind)
            {
                case PrivacyJournalEntry.Allowed:
                    _allowed[entry.Round] = entry.SampleRate;
                    break;
                case PrivacyJournalEntry.Completed:
                    ApplyCompletedLocked(entry.Round, entry.ContributorExamples ?? []);
                    break;
                case PrivacyJournalEntry.ExhaustionAnnounced:
                    _exhaustionAnnounced = true;
                    break;
                default:
                    throw new InvalidDataException($"Task {TaskId}: a privacy journal entry of unknown kind '{entry.Kind}'.");
            }
        }
    }

    public string TaskId { get; }
    public PrivacyConfig Config { get; }
    public TrainingConfig? Training { get; }

    private bool IsLocal => Config.Mechanism == PrivacyMechanism.Local;

    /// <summary>ε spent by the rounds completed so far (local DP: the largest over the clients), at the task's δ; 0 without DP.</summary>
    public double EpsilonSpent
    {
        get
        {
            lock (_gate) return SpentLocked();
        }
    }

    /// <summary>Rounds recorded as completed.</summary>
    public int RoundsCompleted
    {
        get
        {
            lock (_gate) return _completedRounds.Count;
        }
    }

    /// <summary>The completed rounds in the order they were recorded, each with the ε spent once it was counted.</summary>
    public IReadOnlyList<PrivacyRound> Rounds()
    {
        lock (_gate) return [.. _rounds];
    }

    /// <summary>Local DP: the ε each client has spent so far, by client id.</summary>
    public IReadOnlyDictionary<string, double> ClientEpsilons()
    {
        lock (_gate)
        {
            var epsilons = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (id, account) in _clients) epsilons[id] = account.Accountant.GetEpsilon(Config.Delta).Epsilon;
            return epsilons;
        }
    }

    /// <summary>
    /// May round <paramref name="round"/> run? Allowed rounds count as spent from now on (for the checks of later rounds)
    /// until their <see cref="RoundCompleted"/> is recorded.
    /// </summary>
    /// <param name="sampleRate">q: the probability that any one client takes part in the round (central DP).</param>
    public BudgetDecision Decide(int round, double sampleRate)
    {
        if (!Config.Enabled) return new BudgetDecision(true, 0, "differential privacy is off for this task", null);
        lock (_gate)
        {
            if (IsLocal) return DecideLocal(round);
            if (!(sampleRate > 0 && sampleRate <= 1))
                return new BudgetDecision(false, SpentLocked(), $"the sampling rate q = {sampleRate} of round {round} is not in (0, 1]", null);

            var accountant = _completed.Clone();
            var counted = _completedRounds.Count;
            foreach (var (allowed, rate) in _allowed)
            {
                if (allowed >= round) break;
                accountant.Step(Config.NoiseMultiplier, rate);
                counted++;
            }
            var before = accountant.GetEpsilon(Config.Delta).Epsilon;
            accountant.Step(Config.NoiseMultiplier, sampleRate);
            var after = accountant.GetEpsilon(Config.Delta).Epsilon;
            if (after <= Config.EpsilonBudget)
            {
                _journal?.Invoke(new PrivacyJournalEntry(PrivacyJournalEntry.Allowed, round, sampleRate));
                _allowed[round] = sampleRate;
                return new BudgetDecision(true, after,
                    $"round {round} takes ε to {after:G4} of the budget {Config.EpsilonBudget:G4} (δ = {Config.Delta:G3}, q = {sampleRate:G4}, z = {Config.NoiseMultiplier:G4})", null);
            }
            return Refuse(round, counted, before, after);
        }
    }

    /// <summary>Records a completed round (idempotent under redelivery); returns ε spent so far.</summary>
    public double RecordCompleted(RoundCompleted completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        lock (_gate)
        {
            if (_completedRounds.Contains(completed.Round)) return SpentLocked();
            var contributors = new Dictionary<string, int>(StringComparer.Ordinal);
            if (Config.Enabled && IsLocal)
                foreach (var contributor in completed.Contributors) contributors[contributor.ClientId] = contributor.ExampleCount;
            _journal?.Invoke(new PrivacyJournalEntry(PrivacyJournalEntry.Completed, completed.Round, ContributorExamples: contributors));
            ApplyCompletedLocked(completed.Round, contributors);
            return SpentLocked();
        }
    }

    private void ApplyCompletedLocked(int round, IReadOnlyDictionary<string, int> contributors)
    {
        if (!_completedRounds.Add(round)) return;
        double? rate = null;
        if (Config.Enabled && IsLocal)
        {
            foreach (var (clientId, examples) in contributors.OrderBy(c => c.Key, StringComparer.Ordinal)) RecordClientLocked(clientId, examples);
        }
        else if (Config.Enabled)
        {
            if (_allowed.Remove(round, out var allowed)) _lastSampleRate = allowed;
            else allowed = _lastSampleRate; // a round this instance never checked (e.g. after a restart without a journal): the last rate known
            _completed.Step(Config.NoiseMultiplier, allowed);
            rate = allowed;
        }
        _rounds.Add(new PrivacyRound(round, rate, SpentLocked(), contributors.Count));
    }

    /// <summary>True the first time it is called after a refusal for the budget: the exhaustion is announced once.</summary>
    public bool TryAnnounceExhaustion()
    {
        lock (_gate)
        {
            if (_exhaustionAnnounced) return false;
            _journal?.Invoke(new PrivacyJournalEntry(PrivacyJournalEntry.ExhaustionAnnounced));
            _exhaustionAnnounced = true;
            return true;
        }
    }

    private BudgetDecision DecideLocal(int round)
    {
        if (_clients.Count == 0)
            return new BudgetDecision(true, 0, "no client has trained yet: each client's ε is accounted from its first round", null);
        var worst = 0.0;
        string? worstClient = null;
        foreach (var (id, account) in _clients)
        {
            var next = account.Accountant.Clone();
            next.Step(Config.NoiseMultiplier, account.LastSampleRate, account.LastSteps);
            var epsilon = next.GetEpsilon(Config.Delta).Epsilon;
            if (epsilon > worst || worstClient is null) (worst, worstClient) = (epsilon, id);
        }
        if (worst <= Config.EpsilonBudget)
            return new BudgetDecision(true, worst,
                $"round {round} takes the largest client ε to {worst:G4} of the budget {Config.EpsilonBudget:G4} (client {worstClient}, δ = {Config.Delta:G3})", null);
        return Refuse(round, _completedRounds.Count, SpentLocked(), worst);
    }

    private BudgetDecision Refuse(int round, int counted, double spent, double after)
    {
        var exhausted = new PrivacyBudgetExhausted(TaskId, counted, spent, Config.EpsilonBudget, Config.Delta);
        return new BudgetDecision(false, after,
            $"exhausted (round {round} would take ε from {spent:G4} to {after:G4}, above the budget {Config.EpsilonBudget:G4} at δ = {Config.Delta:G3}; " +
            $"{counted} rounds spent)", exhausted);
    }

    private void RecordClientLocked(string clientId, int examples)
    {
        if (examples <= 0) return;
        var batch = Training?.BatchSize ?? examples;
        var epochs = Training?.LocalEpochs ?? 1;
        var sampleRate = Math.Min(1.0, (double)batch / examples);
        var steps = checked(epochs * (int)((examples + (long)batch - 1) / batch));
        if (!_clients.TryGetValue(clientId, out var account)) _clients[clientId] = account = new ClientAccount();
        account.Accountant.Step(Config.NoiseMultiplier, sampleRate, steps);
        account.LastSampleRate = sampleRate;
        account.LastSteps = steps;
    }

    private double SpentLocked()
    {
        if (!Config.Enabled) return 0;
        if (!IsLocal) return _completed.GetEpsilon(Config.Delta).Epsilon;
        var worst = 0.0;
        foreach (var account in _clients.Values) worst = Math.Max(worst, account.Accountant.GetEpsilon(Config.Delta).Epsilon);
        return worst;
    }

    private sealed class ClientAccount
    {
        public RdpAccountant Accountant { get; } = new();
        public double LastSampleRate { get; set; }
        public int LastSteps { get; set; }
    }
}

/// <summary>The answer to "may the next round run?".</summary>
/// <param name="EpsilonIfRun">ε after the round if it ran (local DP: the largest client's).</param>
/// <param name="Exhausted">Set when the round is refused because of the budget: the event to publish (once).</param>
public sealed record BudgetDecision(bool Allowed, double EpsilonIfRun, string Reason, PrivacyBudgetExhausted? Exhausted);

/// <summary>A completed round in a task's account: the sampling rate q it was accounted with (central DP), ε spent after it, and the clients it charged (local DP).</summary>
public sealed record PrivacyRound(int Round, double? SampleRate, double EpsilonAfter, int ClientsCharged);
