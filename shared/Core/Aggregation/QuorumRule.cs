namespace FlMicroservices.Core.Aggregation;

/// <summary>The quorum rule: a round of p participants aggregates once max(1, ceil(quorum p)) complete updates arrived.</summary>
public static class QuorumRule
{
    /// <summary>The fewest complete updates a round of <paramref name="participants"/> may aggregate.</summary>
    public static int Needed(int participants, double quorum)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(participants);
        if (!(quorum > 0 && quorum <= 1)) throw new ArgumentOutOfRangeException(nameof(quorum), quorum, "The quorum must be in (0, 1].");
        return Math.Max(1, (int)Math.Ceiling(participants * quorum - 1e-9));
    }

    /// <summary>The fewest participants whose quorum is at least <paramref name="updates"/> updates.</summary>
    public static int ParticipantsFor(int updates, double quorum)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(updates);
        var participants = Math.Max(1, (int)Math.Floor((updates - 1) / quorum)); // its quorum is below the target
        while (Needed(participants, quorum) < updates) participants++;
        return participants;
    }
}
