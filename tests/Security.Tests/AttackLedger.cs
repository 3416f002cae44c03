using System.Collections.Concurrent;

namespace FlMicroservices.Security.Tests;

/// <summary>The attacks a suite run tried and the ones that were blocked, with what stopped each, for the run's summary line.</summary>
public sealed class AttackLedger
{
    private readonly ConcurrentDictionary<string, string?> _attacks = new(StringComparer.Ordinal);

    /// <summary>Starts an attack; it counts as blocked only once <see cref="Attempt.Blocked"/> is called (after the test's assertions).</summary>
    public Attempt Try(string attack)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(attack);
        _attacks[attack] = null;
        return new Attempt(this, attack);
    }

    public int Tried => _attacks.Count;

    public int BlockedCount => _attacks.Values.Count(v => v is not null);

    /// <summary>"attacks tried N, blocked M", then one line per attack with what stopped it (or that nothing did).</summary>
    public string Summary() =>
        $"attacks tried {Tried}, blocked {BlockedCount}" + string.Concat(_attacks.OrderBy(a => a.Key, StringComparer.Ordinal)
            .Select(a => $"{Environment.NewLine}  {a.Key}: {a.Value ?? "NOT BLOCKED (its test failed)"}"));

    /// <summary>One attack under way.</summary>
    public sealed class Attempt(AttackLedger ledger, string attack)
    {
        /// <summary>Records that the attack failed, and the recorded reason that shows it.</summary>
        public void Blocked(string by) => ledger._attacks[attack] = by;
    }
}
