namespace FlMicroservices.Core.Selection;

/// <summary>
/// Oort (Lai et al., OSDI 2021): a client's utility is its statistical utility (examples times its last loss), raised by a
/// bonus for the rounds since it was last picked, times a system penalty (deadline / duration)^alpha when it was slower than
/// the deadline.
/// A share epsilon of the round explores clients never heard from; the rest exploits, drawn in proportion to utility among
/// the clients within 95% of the count-th best (docs/selection.md).
/// </summary>
public sealed class OortSelection(double deadlineSeconds, double epsilon = 0.1, double alpha = 2) : ISelectionPolicy
{
    public string Name => SelectionPolicies.Oort;

    public IReadOnlyList<string> Select(IReadOnlyList<ClientHistory> candidates, int count, int round, Random rng)
    {
        SelectionPolicies.Check(candidates, count, rng);
        var shuffled = SelectionPolicies.Shuffled(candidates, rng);
        var explored = shuffled.Where(c => c.Explored).ToList();
        var unexplored = shuffled.Where(c => !c.Explored).ToList();
        var exploring = Math.Min(unexplored.Count, Math.Max(count - explored.Count, (int)Math.Round(epsilon * count, MidpointRounding.AwayFromZero)));
        var picked = unexplored.Take(exploring).Select(c => c.ClientId).ToList();

        var exploiting = count - picked.Count;
        var scored = explored.Select(c => (c.ClientId, Utility: Utility(c, round))).OrderByDescending(s => s.Utility).ToList();
        if (exploiting > 0 && scored.Count > 0)
        {
            // Oort's confidence cut-off: every client within 95% of the count-th best may be drawn, in proportion to its utility.
            var cutoff = 0.95 * scored[Math.Min(exploiting, scored.Count) - 1].Utility;
            var pool = scored.TakeWhile((s, i) => i < exploiting || s.Utility >= cutoff).ToList();
            while (picked.Count < count && pool.Count > 0)
            {
                var total = pool.Sum(s => s.Utility);
                var draw = rng.NextDouble() * total;
                var index = 0;
                for (var acc = pool[0].Utility; acc < draw && index < pool.Count - 1; acc += pool[++index].Utility) { }
                picked.Add(pool[index].ClientId);
                pool.RemoveAt(index);
            }
        }
        // Too few explored clients: the rest of the unexplored ones.
        picked.AddRange(unexplored.Skip(exploring).Take(count - picked.Count).Select(c => c.ClientId));
        return picked;
    }

    /// <summary>The client's Oort utility in <paramref name="round"/>; positive for an explored client.</summary>
    public double Utility(ClientHistory client, int round)
    {
        ArgumentNullException.ThrowIfNull(client);
        var statistical = Math.Max(1, client.Examples) * Math.Max(client.LastLoss ?? 0, 1e-9);
        var seconds = client.LastSeconds ?? 0;
        var system = seconds > deadlineSeconds ? Math.Pow(deadlineSeconds / seconds, alpha) : 1;
        // Oort's incentive sqrt(0.1 ln R / L(i)), L(i) the round the client was last picked: the earlier, the larger.
        var staleness = Math.Sqrt(0.1 * Math.Log(Math.Max(2, round)) / Math.Max(1, client.LastSelectedRound ?? 1));
        return statistical * (1 + staleness) * system;
    }
}
