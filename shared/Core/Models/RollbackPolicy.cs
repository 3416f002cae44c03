namespace FlMicroservices.Core.Models;

/// <summary>Decides, for each round's validated candidate, which version a task continues from (docs/model-lifecycle.md).</summary>
/// <param name="MaxDrop">A candidate more than this below the best validated accuracy is rolled back at once.</param>
/// <param name="DegradationWindow">After this many accepted candidates in a row more than <paramref name="DegradationMargin"/> below the best, the task goes back to the best version (0: never).</param>
/// <param name="DegradationMargin">How far below the best accuracy a candidate counts as degraded.</param>
/// <param name="MaxRollbacksInARow">After this many rollbacks in a row the task stops with a reason (0: never).</param>
public sealed record RollbackPolicy(double MaxDrop, int DegradationWindow, double DegradationMargin, int MaxRollbacksInARow)
{
    public const double DefaultMaxDrop = 0.2;
    public const int DefaultDegradationWindow = 5;
    public const double DefaultDegradationMargin = 0.02;
    public const int DefaultMaxRollbacksInARow = 5;

    public static RollbackPolicy Default { get; } = new(DefaultMaxDrop, DefaultDegradationWindow, DefaultDegradationMargin, DefaultMaxRollbacksInARow);

    /// <summary>What is wrong with these settings, one message per bad field, named as a task spec names it.</summary>
    public IEnumerable<string> Problems()
    {
        if (!(MaxDrop >= 0) || double.IsPositiveInfinity(MaxDrop)) yield return $"RollbackThreshold {MaxDrop} must be a finite number, zero or positive";
        if (DegradationWindow < 0) yield return $"RollbackWindow {DegradationWindow} must be zero (off) or positive";
        if (!(DegradationMargin >= 0) || !(DegradationMargin < 1)) yield return $"RollbackMargin {DegradationMargin} must be in [0, 1)";
        if (MaxRollbacksInARow < 0) yield return $"MaxRollbacksInARow {MaxRollbacksInARow} must be zero (never stop) or positive";
    }

    /// <summary>The outcome for candidate <paramref name="candidate"/> (its accuracy, null when not evaluated) given the task's history so far.</summary>
    /// <param name="history">The task's versions and counters before this candidate.</param>
    /// <param name="candidate">The candidate's version number.</param>
    /// <param name="accuracy">Its validation accuracy; null when the task has no validation data.</param>
    /// <param name="finite">False when any of its weights is NaN or infinite.</param>
    public RollbackDecision Decide(VersionHistory history, int candidate, double? accuracy, bool finite)
    {
        if (!finite) return RollBack(history, candidate, "its weights are not all finite numbers");
        if (accuracy is not { } acc)
            return new(CandidateOutcome.Accepted, candidate, history with { Current = candidate, CurrentAccuracy = null, RollbacksInARow = 0 }, null);
        if (history.BestAccuracy is not { } best || acc > best)
            return new(CandidateOutcome.NewBest, candidate,
                new VersionHistory(candidate, acc, candidate, acc, Degradations: 0, RollbacksInARow: 0), null);
        if (acc < best - MaxDrop)
            return RollBack(history, candidate, $"its accuracy {acc:F4} is more than {MaxDrop:0.####} below the best version {history.Best} ({best:F4})");
        var degradations = acc < best - DegradationMargin ? history.Degradations + 1 : 0;
        if (DegradationWindow > 0 && degradations >= DegradationWindow)
            return RollBack(history, candidate,
                $"{degradations} versions in a row were more than {DegradationMargin:0.####} below the best version {history.Best} ({best:F4})");
        return new(CandidateOutcome.Accepted, candidate,
            history with { Current = candidate, CurrentAccuracy = acc, Degradations = degradations, RollbacksInARow = 0 }, null);
    }

    // The task continues from its best version (the current one while none was evaluated); stops after too many in a row.
    private RollbackDecision RollBack(VersionHistory history, int candidate, string why)
    {
        var to = history.Best ?? history.Current;
        var toAccuracy = history.Best is null ? history.CurrentAccuracy : history.BestAccuracy;
        var inARow = history.RollbacksInARow + 1;
        var next = history with { Current = to, CurrentAccuracy = toAccuracy, Degradations = 0, RollbacksInARow = inARow };
        var reason = $"version {candidate} rolled back to version {to}: {why}";
        return MaxRollbacksInARow > 0 && inARow >= MaxRollbacksInARow
            ? new(CandidateOutcome.Stop, to, next, $"{reason}; {inARow} rollbacks in a row, so the task stops on version {to}")
            : new(CandidateOutcome.RolledBack, to, next, reason);
    }
}

/// <summary>A task's versions as the rollback policy sees them.</summary>
/// <param name="Current">The version the next round trains from.</param>
/// <param name="CurrentAccuracy">Its validation accuracy, when evaluated.</param>
/// <param name="Best">The best validated version so far, if any.</param>
/// <param name="BestAccuracy">Its accuracy.</param>
/// <param name="Degradations">Accepted candidates in a row more than the margin below the best.</param>
/// <param name="RollbacksInARow">Rollbacks since the last accepted candidate.</param>
public sealed record VersionHistory(int Current, double? CurrentAccuracy, int? Best, double? BestAccuracy, int Degradations, int RollbacksInARow)
{
    /// <summary>A task's history when only its initial version exists.</summary>
    public static VersionHistory Initial(int version, double? accuracy) =>
        new(version, accuracy, accuracy is null ? null : version, accuracy, 0, 0);
}

/// <summary>What happened to a round's candidate.</summary>
public enum CandidateOutcome
{
    /// <summary>The candidate becomes current.</summary>
    Accepted,

    /// <summary>The candidate becomes current and the best validated version.</summary>
    NewBest,

    /// <summary>The candidate is kept but the task continues from <see cref="RollbackDecision.ContinueFrom"/>.</summary>
    RolledBack,

    /// <summary>Rolled back once too often in a row: the task stops on <see cref="RollbackDecision.ContinueFrom"/>.</summary>
    Stop,
}

/// <summary>The policy's answer for one candidate.</summary>
/// <param name="Outcome">Accepted, new best, rolled back or stop.</param>
/// <param name="ContinueFrom">The version that is current afterwards.</param>
/// <param name="Next">The history after this candidate.</param>
/// <param name="Reason">Why it was rolled back or why the task stops; null otherwise.</param>
public sealed record RollbackDecision(CandidateOutcome Outcome, int ContinueFrom, VersionHistory Next, string? Reason)
{
    public bool RolledBack => Outcome is CandidateOutcome.RolledBack or CandidateOutcome.Stop;
}
