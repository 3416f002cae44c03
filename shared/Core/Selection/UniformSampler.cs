namespace FlMicroservices.Core.Selection;

/// <summary>Samples a round's participants uniformly without replacement (McMahan's fraction C of the available clients).</summary>
public static class UniformSampler
{
    /// <summary>How many clients a round takes: max(minimum, round(fraction * available)), never more than are available.</summary>
    public static int ParticipantCount(int available, double fraction, int minimum)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(available);
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "Fraction must be in (0, 1].");
        var wanted = Math.Max(minimum, (int)Math.Round(fraction * available, MidpointRounding.AwayFromZero));
        return Math.Min(available, Math.Max(1, wanted));
    }

    /// <summary>A partial Fisher-Yates shuffle: the first <paramref name="count"/> of a random permutation, in the order drawn.</summary>
    public static string[] Sample(IReadOnlyList<string> candidates, int count, Random rng)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(rng);
        if (count < 0 || count > candidates.Count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Cannot sample {count} of {candidates.Count} clients.");
        var pool = candidates.ToArray();
        for (var i = 0; i < count; i++)
        {
            var j = rng.Next(i, pool.Length);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool[..count];
    }
}
