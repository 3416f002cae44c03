namespace FlMicroservices.Core.Selection;

/// <summary>
/// Skips clients whose last contribution took longer than the round's deadline, and draws at random from the rest (clients
/// without a timing yet included). When too few remain, the fastest of the skipped fill the round.
/// </summary>
public sealed class DeadlineAwareSelection(double deadlineSeconds) : ISelectionPolicy
{
    public string Name => SelectionPolicies.DeadlineAware;

    public IReadOnlyList<string> Select(IReadOnlyList<ClientHistory> candidates, int count, int round, Random rng)
    {
        SelectionPolicies.Check(candidates, count, rng);
        var shuffled = SelectionPolicies.Shuffled(candidates, rng);
        var inTime = shuffled.Where(c => c.LastSeconds is not { } s || s <= deadlineSeconds).Take(count).ToList();
        if (inTime.Count < count)
            inTime.AddRange(shuffled.Where(c => c.LastSeconds is { } s && s > deadlineSeconds).OrderBy(c => c.LastSeconds).Take(count - inTime.Count));
        return inTime.Select(c => c.ClientId).ToArray();
    }
}
