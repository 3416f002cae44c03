using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation.Robust;

/// <summary>Test helpers: run a whole round of a strategy over whole updates cut into slices.</summary>
internal static class RobustRounds
{
    /// <summary>Clients named c0, c1, ... holding the given deltas.</summary>
    public static (string Id, float[] Delta)[] Clients(params float[][] deltas)
    {
        var clients = new (string, float[])[deltas.Length];
        for (var i = 0; i < deltas.Length; i++) clients[i] = ($"c{i}", deltas[i]);
        return clients;
    }

    /// <summary>Folds every slice of every update (client by client, slices in order; or shuffled by <paramref name="shuffle"/>) and finishes.</summary>
    public static float[] Run(IAggregationStrategy strategy, IReadOnlyList<(string Id, float[] Delta)> updates, int sliceElements,
        float[]? global = null, Random? shuffle = null)
    {
        var parameters = updates[0].Delta.Length;
        var round = strategy.BeginRound(parameters, sliceElements);
        var sliceCount = (parameters + sliceElements - 1) / sliceElements;
        var folds = new List<(int Client, int Slice)>();
        for (var c = 0; c < updates.Count; c++)
            for (var s = 0; s < sliceCount; s++) folds.Add((c, s));
        if (shuffle is not null)
            for (var i = folds.Count - 1; i > 0; i--)
            {
                var j = shuffle.Next(i + 1);
                (folds[i], folds[j]) = (folds[j], folds[i]);
            }
        foreach (var (c, s) in folds)
        {
            var start = s * sliceElements;
            round.Fold(updates[c].Id, s, updates[c].Delta.AsSpan(start, Math.Min(sliceElements, parameters - start)), 1 + c);
        }
        Assert.Equal(folds.Count, round.FoldedSlices);
        var result = new float[parameters];
        round.Finish(global ?? new float[parameters], result);
        return result;
    }

    public static int[] Bits(float[] values)
    {
        var bits = new int[values.Length];
        for (var i = 0; i < values.Length; i++) bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        return bits;
    }

    public static float[] RandomVector(Random rng, int length, double scale = 1)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++) values[i] = (float)(Normal(rng) * scale);
        return values;
    }

    public static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<float> actual, double tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}
