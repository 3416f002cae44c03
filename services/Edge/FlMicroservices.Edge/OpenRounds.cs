using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Edge;

/// <summary>The rounds this edge saw start, with their participants, so uploads and messages are checked against them.</summary>
/// <remarks>Kept in memory for a day past each round's deadline; after an edge restart, rounds already running are unknown and their
/// uploads are refused (the nodes' clients count as dropouts).</remarks>
public sealed class OpenRounds(TimeProvider clock)
{
    private static readonly TimeSpan Kept = TimeSpan.FromDays(1);
    private readonly ConcurrentDictionary<(string Task, int Round), Entry> _rounds = new();

    public void Add(RoundStarted round)
    {
        ArgumentNullException.ThrowIfNull(round);
        _rounds[(round.TaskId, round.Round)] = new Entry(round, new HashSet<string>(round.Participants, StringComparer.Ordinal));
        var now = clock.GetUtcNow();
        foreach (var (key, entry) in _rounds)
            if (entry.Round.Deadline + Kept < now) _rounds.TryRemove(key, out _);
    }

    /// <summary>Why <paramref name="clientId"/> may not send for the round, or null.</summary>
    public string? Problem(string taskId, int round, string clientId) =>
        !_rounds.TryGetValue((taskId, round), out var entry) ? $"round {round} of task '{taskId}' has not started at this edge"
        : !entry.Participants.Contains(clientId) ? $"client '{clientId}' is not a participant of round {round} of task '{taskId}'"
        : null;

    /// <summary>The RoundStarted of a round this edge saw start, or null.</summary>
    public RoundStarted? Started(string taskId, int round) => _rounds.TryGetValue((taskId, round), out var entry) ? entry.Round : null;

    /// <summary>The rounds before their deadline that any of <paramref name="clients"/> takes part in (sent to a node as it connects).</summary>
    public IEnumerable<RoundStarted> OpenFor(IReadOnlyCollection<string> clients)
    {
        var now = clock.GetUtcNow();
        return _rounds.Values.Where(e => e.Round.Deadline > now && clients.Any(e.Participants.Contains)).Select(e => e.Round)
            .OrderBy(r => r.TaskId, StringComparer.Ordinal).ThenBy(r => r.Round);
    }

    private sealed record Entry(RoundStarted Round, HashSet<string> Participants);
}
