using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

/// <summary>Test helpers for linear and server-optimizer strategies: whole rounds over whole updates cut into slices.</summary>
internal static class LinearRounds
{
    /// <summary>
    /// Folds every slice of every update exactly once (client by client, slices in order; or all (client, slice) pairs
    /// shuffled by <paramref name="shuffle"/>), finishes and returns the next global model.
    /// </summary>
    public static float[] Run(IAggregationStrategy strategy, float[] global, int sliceElements,
        IReadOnlyList<(string Id, float[] Delta, double Weight)> updates, Random? shuffle = null)
    {
        var parameters = global.Length;
        var round = strategy.BeginRound(parameters, sliceElements);
        var sliceCount = (parameters + sliceElements - 1) / sliceElements;
        var folds = new List<(int Client, int Slice)>();
        for (var c = 0; c < updates.Count; c++)
            for (var s = 0; s < sliceCount; s++) folds.Add((c, s));
        if (shuffle is not null) Shuffle(folds, shuffle);
        foreach (var (c, s) in folds)
        {
            var start = s * sliceElements;
            round.Fold(updates[c].Id, s, updates[c].Delta.AsSpan(start, Math.Min(sliceElements, parameters - start)), updates[c].Weight);
        }
        Assert.Equal(folds.Count, round.FoldedSlices);
        var result = new float[parameters];
        round.Finish(global, result);
        return result;
    }

    /// <summary>All at once: each client's whole update as a single slice, clients in the given order.</summary>
    public static float[] RunWhole(IAggregationStrategy strategy, float[] global, IReadOnlyList<(string Id, float[] Delta, double Weight)> updates) =>
        Run(strategy, global, global.Length, updates);

    /// <summary>Random updates: values of mixed magnitude (1e-7 to 10, both signs), whole weights 1 to 5,000.</summary>
    public static (string Id, float[] Delta, double Weight)[] RandomUpdates(Random rng, int clients, int parameters)
    {
        var updates = new (string, float[], double)[clients];
        for (var c = 0; c < clients; c++)
        {
            var delta = new float[parameters];
            for (var i = 0; i < parameters; i++)
                delta[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-7, 2)));
            updates[c] = ($"client-{c}", delta, rng.Next(1, 5_001));
        }
        return updates;
    }

    public static T[] Shuffled<T>(IReadOnlyList<T> items, Random rng)
    {
        var copy = new List<T>(items);
        Shuffle(copy, rng);
        return [.. copy];
    }

    public static void Shuffle<T>(IList<T> items, Random rng)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The bit patterns, so that Assert.Equal compares floats bit for bit (and tells -0 from 0).</summary>
    public static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (var i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }

    public static void Near(float[] expected, float[] actual, float tolerance = 1e-6f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], tolerance);
    }
}
