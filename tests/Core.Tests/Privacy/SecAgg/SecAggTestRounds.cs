using System.Security.Cryptography;
using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Tests.Privacy.SecAgg;

/// <summary>Inputs and checks shared by the protocol tests.</summary>
internal static class SecAggTestRounds
{
    public static byte[] RoundSeed(int seed) => SHA256.HashData(BitConverter.GetBytes(seed));

    /// <summary>Client → a deterministic update with coordinates uniform in [−<paramref name="scale"/>, <paramref name="scale"/>].</summary>
    public static Func<int, float[]> Updates(int parameters, int seed, float scale = 1f) => client =>
    {
        var random = new Random(seed * 10_007 + client);
        var update = new float[parameters];
        for (var i = 0; i < parameters; i++) update[i] = (random.NextSingle() * 2 - 1) * scale;
        return update;
    };

    public static double[] ExactSum(Func<int, float[]> updates, IEnumerable<int> clients, int parameters)
    {
        var sum = new double[parameters];
        foreach (var client in clients)
        {
            var update = updates(client);
            for (var i = 0; i < parameters; i++) sum[i] += update[i];
        }
        return sum;
    }

    /// <summary>Every coordinate of the secure sum is within the quantisation bound of the exact sum of the included clients.</summary>
    public static void AssertSumWithinBound(SecAggResult result, Func<int, float[]> updates, int parameters)
    {
        var exact = ExactSum(updates, result.IncludedClients, parameters);
        Assert.Equal(parameters, result.Sum.Length);
        var bound = result.ErrorBound * (1 + 1e-6); // the scaling x·s is exact to 2^-22 of a step
        var worst = 0.0;
        for (var i = 0; i < parameters; i++) worst = Math.Max(worst, Math.Abs(result.Sum[i] - exact[i]));
        Assert.True(worst <= bound, $"max error {worst:G4} exceeds the bound {bound:G4}");
        Assert.True(worst > 0, "a quantised sum is never exact on random floats: something is off"); // sanity
    }
}
