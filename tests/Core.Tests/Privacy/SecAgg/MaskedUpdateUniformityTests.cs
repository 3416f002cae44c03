using System.Runtime.InteropServices;
using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Tests.Privacy.SecAgg;

public class MaskedUpdateUniformityTests
{
    private const int Parameters = 65_536; // 262,144 bytes: 1,024 expected per byte value

    /// <summary>
    /// The 0.999 quantile of χ² with 255 degrees of freedom, 330.5 (Wilson–Hilferty: 255 (1 − 2/2295 + 3.0902 √(2/2295))³).
    /// </summary>
    private const double Critical = 330.5;

    private static double ChiSquare(ReadOnlySpan<uint> values)
    {
        var counts = new long[256];
        foreach (var b in MemoryMarshal.AsBytes(values)) counts[b]++;
        var expected = values.Length * 4 / 256.0;
        return counts.Sum(c => (c - expected) * (c - expected) / expected);
    }

    private static float[] TypicalUpdate()
    {
        // Small, roughly Gaussian deltas, as a model update looks.
        var random = new Random(3);
        var update = new float[Parameters];
        for (var i = 0; i < Parameters; i++)
            update[i] = (float)(0.01 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return update;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_masked_update_passes_a_chi_square_test_for_uniform_bytes_and_the_unmasked_one_fails_it(bool plus)
    {
        const int n = 12;
        var settings = plus
            ? SecAggParameters.SecAggPlus(n, Parameters, 1.0, SecAggTestRounds.RoundSeed(21))
            : SecAggParameters.SecAgg(n, Parameters, 1.0, SecAggTestRounds.RoundSeed(21));
        var update = TypicalUpdate();
        var randoms = Enumerable.Range(0, n).Select(i => new SeededRandomNumberGenerator(i, "chi")).ToArray();
        var clients = Enumerable.Range(0, n)
            .Select(i => new SecAggClient(settings, i, new SecAggClientOptions { Random = randoms[i] }))
            .ToArray();
        using var server = new SecAggServer(settings);
        MaskedInput? masked = null;
        try
        {
            foreach (var c in clients) server.ReceiveAdvertiseKeys(c.AdvertiseKeys());
            foreach (var d in server.CloseAdvertiseKeys()) server.ReceiveShareKeys(clients[d.RecipientId].ShareKeys(d));
            var delivery = server.CloseShareKeys().Single(d => d.RecipientId == 0);
            masked = clients[0].MaskInput(delivery, update);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
            foreach (var r in randoms) r.Dispose();
        }

        var quantised = new uint[Parameters];
        settings.Quantizer.Quantize(update, quantised);

        Assert.True(ChiSquare(masked.MaskedVector) < Critical, $"masked χ² = {ChiSquare(masked.MaskedVector):F1}");
        Assert.True(ChiSquare(quantised) > 100 * Critical, $"unmasked χ² = {ChiSquare(quantised):F1}");
    }
}
