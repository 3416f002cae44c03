namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>
/// Krum's scoring and selection (Blanchard et al. 2017, "Machine Learning with Adversaries: Byzantine Tolerant
/// Gradient Descent") over a <see cref="PairwiseDistances"/> matrix, as used by Krum, Multi-Krum and Bulyan.
/// </summary>
/// <remarks>
/// The score of update i is the sum of its squared distances to its n - f - 2 nearest other updates; a low score
/// means i sits inside a dense group of n - f - 1 updates, which f attackers cannot form on their own when
/// n &gt; 2f + 2. Ties go to the lowest index, that is the first client id in ordinal order, so selection is deterministic.
/// Results are indices into <see cref="PairwiseDistances.ClientIds"/>.
/// </remarks>
public static class KrumSelection
{
    /// <summary>The fewest clients Krum can work with for <paramref name="f"/> attackers: 2f + 3 (n &gt; 2f + 2).</summary>
    public static int MinimumClients(int f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(f);
        return checked(2 * f + 3);
    }

    /// <summary>Every client's Krum score for <paramref name="f"/> attackers.</summary>
    /// <exception cref="InvalidOperationException">n &lt;= 2f + 2.</exception>
    public static double[] Scores(PairwiseDistances distances, int f)
    {
        ArgumentNullException.ThrowIfNull(distances);
        RequireEnough("Krum", distances.Count, f);
        var all = AllIndices(distances.Count);
        var scores = new double[all.Length];
        ScoresOf(distances, all, distances.Count - f - 2, scores);
        return scores;
    }

    /// <summary>Krum: the index of the update with the lowest score.</summary>
    /// <exception cref="InvalidOperationException">n &lt;= 2f + 2.</exception>
    public static int SelectOne(PairwiseDistances distances, int f) => SelectBest(distances, f, 1)[0];

    /// <summary>Multi-Krum's selection: the <paramref name="m"/> indices with the lowest scores, best first (ties: lower index first).</summary>
    /// <exception cref="InvalidOperationException">n &lt;= 2f + 2, or m &gt; n.</exception>
    public static int[] SelectBest(PairwiseDistances distances, int f, int m)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m);
        var scores = Scores(distances, f);
        if (m > scores.Length)
            throw new InvalidOperationException($"Multi-Krum cannot select m = {m} updates from the {scores.Length} clients that delivered every slice.");
        var order = AllIndices(scores.Length);
        // Stable ordering by (score, index): a comparison on both keys, so the sort algorithm cannot matter.
        Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[a].CompareTo(scores[b]) : a.CompareTo(b));
        return order[..m];
    }

    /// <summary>
    /// Bulyan's selection (El Mhamdi et al. 2018): applies Krum <paramref name="count"/> times, each time to the updates
    /// not yet selected, and returns the selected indices in the order they were picked.
    /// </summary>
    /// <remarks>
    /// Each step scores the r remaining updates with their max(1, r - f - 2) nearest remaining neighbours (capped at
    /// r - 1); the floor of one neighbour only matters in the last steps, where r - f - 2 drops below one.
    /// </remarks>
    /// <exception cref="InvalidOperationException">n &lt;= 2f + 2, or more selections than clients.</exception>
    public static int[] SelectIteratively(PairwiseDistances distances, int f, int count)
    {
        ArgumentNullException.ThrowIfNull(distances);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        RequireEnough("Krum", distances.Count, f);
        if (count > distances.Count)
            throw new InvalidOperationException($"Cannot select {count} updates from {distances.Count} clients.");
        var remaining = new List<int>(AllIndices(distances.Count));
        var scores = new double[distances.Count];
        var selected = new int[count];
        for (var step = 0; step < count; step++)
        {
            var r = remaining.Count;
            var neighbours = Math.Min(r - 1, Math.Max(1, r - f - 2));
            ScoresOf(distances, remaining, neighbours, scores);
            var best = 0;
            for (var k = 1; k < r; k++)
                if (scores[k] < scores[best]) best = k; // strict: ties keep the earlier (lower) index
            selected[step] = remaining[best];
            remaining.RemoveAt(best);
        }
        return selected;
    }

    internal static void RequireEnough(string strategy, int n, int f) => RequireEnough(strategy, n, ByzantineTolerance.Exactly(f));

    /// <summary>f for a round of <paramref name="n"/> updates, once n &gt; 2f + 2 is checked.</summary>
    internal static int RequireEnough(string strategy, int n, ByzantineTolerance tolerance)
    {
        var f = tolerance.AttackersAmong(n);
        if (n < MinimumClients(f))
            throw new InvalidOperationException(
                $"{strategy} with {tolerance.Describe(n)} needs n > 2f + 2, that is at least {MinimumClients(f)} clients that delivered every slice; this round has {n}.");
        return f;
    }

    /// <summary>scores[k] = sum of the <paramref name="neighbours"/> smallest distances from candidates[k] to the other candidates.</summary>
    private static void ScoresOf(PairwiseDistances distances, IReadOnlyList<int> candidates, int neighbours, double[] scores)
    {
        var n = distances.Count;
        var matrix = distances.Values;
        var others = new double[Math.Max(0, candidates.Count - 1)];
        for (var k = 0; k < candidates.Count; k++)
        {
            var i = candidates[k];
            var count = 0;
            for (var l = 0; l < candidates.Count; l++)
                if (l != k) others[count++] = matrix[i * n + candidates[l]];
            Array.Sort(others);
            var score = 0.0;
            for (var l = 0; l < neighbours; l++) score += others[l];
            scores[k] = score;
        }
    }

    private static int[] AllIndices(int n)
    {
        var indices = new int[n];
        for (var i = 0; i < n; i++) indices[i] = i;
        return indices;
    }
}
