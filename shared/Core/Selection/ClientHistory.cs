namespace FlMicroservices.Core.Selection;

/// <summary>What the selector knows of one candidate from earlier rounds (docs/selection.md).</summary>
/// <param name="ClientId">The client.</param>
/// <param name="Selections">Rounds the client was selected for.</param>
/// <param name="LastSelectedRound">The last round it was selected for (null: never).</param>
/// <param name="LastLoss">Its mean training loss in the last round it contributed to (null: none yet).</param>
/// <param name="LastSeconds">How long its last round took it, round start to upload: a contribution, or a decline with the time it would have needed (null: none yet).</param>
/// <param name="Examples">Its number of training examples (0: unknown).</param>
public sealed record ClientHistory(string ClientId, int Selections = 0, int? LastSelectedRound = null, double? LastLoss = null, double? LastSeconds = null,
    int Examples = 0)
{
    /// <summary>True once the client has contributed at least once (Oort's "explored").</summary>
    public bool Explored => LastLoss is not null;
}

/// <summary>Picks a round's participants from the candidates and their history.</summary>
public interface ISelectionPolicy
{
    /// <summary>The policy's name, as a task names it.</summary>
    string Name { get; }

    /// <summary><paramref name="count"/> distinct candidates for <paramref name="round"/>, drawn with <paramref name="rng"/> where the policy draws.</summary>
    IReadOnlyList<string> Select(IReadOnlyList<ClientHistory> candidates, int count, int round, Random rng);
}

/// <summary>The policies a task may name.</summary>
public static class SelectionPolicies
{
    public const string Random = "random", DeadlineAware = "deadline", Oort = "oort", Fairness = "fairness", PowerOfChoice = "power-of-choice";

    public static readonly IReadOnlyList<string> Names = [Random, DeadlineAware, Oort, Fairness, PowerOfChoice];

    /// <summary>The named policy; <paramref name="deadlineSeconds"/> is the round's deadline, which deadline-aware and Oort use.</summary>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static ISelectionPolicy Create(string name, double deadlineSeconds) => name switch
    {
        Random => new RandomSelection(),
        DeadlineAware => new DeadlineAwareSelection(deadlineSeconds),
        Oort => new OortSelection(deadlineSeconds),
        Fairness => new FairnessSelection(),
        PowerOfChoice => new PowerOfChoiceSelection(),
        _ => throw new ArgumentException($"selection policy '{name}' is unknown ({string.Join(", ", Names)})", nameof(name)),
    };

    internal static void Check(IReadOnlyList<ClientHistory> candidates, int count, Random rng)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(rng);
        if (count < 0 || count > candidates.Count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Cannot select {count} of {candidates.Count} clients.");
    }

    /// <summary>The candidates in a random order (a seeded Fisher-Yates shuffle), for ties and draws.</summary>
    internal static ClientHistory[] Shuffled(IReadOnlyList<ClientHistory> candidates, Random rng)
    {
        var pool = candidates.ToArray();
        rng.Shuffle(pool);
        return pool;
    }
}
