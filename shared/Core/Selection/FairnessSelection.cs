namespace FlMicroservices.Core.Selection;

/// <summary>The least-selected clients first (ties at random), so that participation evens out over the rounds.</summary>
public sealed class FairnessSelection : ISelectionPolicy
{
    public string Name => SelectionPolicies.Fairness;

    public IReadOnlyList<string> Select(IReadOnlyList<ClientHistory> candidates, int count, int round, Random rng)
    {
        SelectionPolicies.Check(candidates, count, rng);
        // A stable sort of a shuffled list: equal counts stay in random order.
        return SelectionPolicies.Shuffled(candidates, rng).OrderBy(c => c.Selections).Take(count).Select(c => c.ClientId).ToArray();
    }
}
