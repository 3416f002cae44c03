using FlMicroservices.Core.Selection;

namespace FlMicroservices.Selector;

/// <summary>Each candidate's <see cref="ClientHistory"/> in a task, from the task's stored round records.</summary>
public static class SelectionHistory
{
    /// <summary>The history of every candidate, in candidate order; a client the task never selected has an empty one.</summary>
    public static IReadOnlyList<ClientHistory> Of(IEnumerable<RoundRecord> rounds, IReadOnlyList<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        ArgumentNullException.ThrowIfNull(candidates);
        var known = candidates.ToDictionary(c => c, c => new ClientHistory(c), StringComparer.Ordinal);
        foreach (var round in rounds.OrderBy(r => r.Round))
        {
            foreach (var id in round.Participants ?? [])
                if (known.TryGetValue(id, out var h)) known[id] = h with { Selections = h.Selections + 1, LastSelectedRound = round.Round };
            foreach (var contribution in round.Contributors ?? [])
                if (known.TryGetValue(contribution.ClientId, out var h) && double.IsFinite(contribution.TrainLoss))
                    known[contribution.ClientId] = h with
                    {
                        LastLoss = contribution.TrainLoss, Examples = contribution.ExampleCount,
                        LastSeconds = contribution.Seconds is { } s && double.IsFinite(s) ? s : h.LastSeconds,
                    };
            // A client that declined because it could not finish in time says how long it would have needed: the deadline-aware
            // and Oort policies see that it is slow although it never contributed.
            foreach (var declined in round.Declined ?? [])
                if (known.TryGetValue(declined.ClientId, out var h) && declined.Seconds is { } s && double.IsFinite(s))
                    known[declined.ClientId] = h with { LastSeconds = s };
        }
        return [.. candidates.Select(c => known[c])];
    }
}
