namespace FlMicroservices.Core.Selection;

/// <summary>
/// Power-of-choice (Cho et al. 2022): draw d candidates at random, keep the <c>count</c> with the highest last training loss.
/// A client without a loss yet ranks first (its loss is unknown, so it may be high). d = min(candidates, 2 count) by default.
/// </summary>
public sealed class PowerOfChoiceSelection(double candidateFactor = 2) : ISelectionPolicy
{
    public string Name => SelectionPolicies.PowerOfChoice;

    public IReadOnlyList<string> Select(IReadOnlyList<ClientHistory> candidates, int count, int round, Random rng)
    {
        SelectionPolicies.Check(candidates, count, rng);
        var d = Math.Min(candidates.Count, Math.Max(count, (int)Math.Ceiling(candidateFactor * count)));
        return SelectionPolicies.Shuffled(candidates, rng).Take(d)
            .OrderByDescending(c => c.LastLoss ?? double.PositiveInfinity)
            .Take(count).Select(c => c.ClientId).ToArray();
    }
}
