namespace FlMicroservices.Core.Contribution;

/// <summary>Scores each accepted contribution by its share of the round's training examples (the FedAvg weight).</summary>
public static class DataShareScorer
{
    /// <summary>Scores summing to 1 over the contributors, in the order given; an empty round scores nothing.</summary>
    public static double[] Score(ReadOnlySpan<int> exampleCounts)
    {
        var total = 0L;
        foreach (var n in exampleCounts)
        {
            if (n < 0) throw new ArgumentOutOfRangeException(nameof(exampleCounts), n, "Example counts cannot be negative.");
            total += n;
        }
        var scores = new double[exampleCounts.Length];
        if (total == 0) return scores;
        for (var i = 0; i < scores.Length; i++) scores[i] = (double)exampleCounts[i] / total;
        return scores;
    }
}
