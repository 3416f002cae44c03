using System.Security.Cryptography;
using FlMicroservices.Core.Privacy.Dp;
using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Tests.Privacy.Dp;

public class GaussianNoiseTests
{
    /// <summary>
    /// Sample moments against N(0, σ²), each within 5 standard errors. For n i.i.d. normal draws the sample mean has standard
    /// error σ/√n and the sample standard deviation σ/√(2n); the share of draws beyond 2σ is binomial with p = 0.0455
    /// (standard error √(p(1 − p)/n)). A correct sampler leaves any one of these bounds with probability 5.7e-7.
    /// </summary>
    internal static void AssertNormal(ReadOnlySpan<float> draws, double sigma, double mean = 0)
    {
        var n = draws.Length;
        double sum = 0, sumOfSquares = 0;
        var beyondTwoSigma = 0;
        foreach (var x in draws)
        {
            var d = x - mean;
            sum += d;
            sumOfSquares += d * d;
            if (Math.Abs(d) > 2 * sigma) beyondTwoSigma++;
        }
        var sampleMean = sum / n;
        var sampleStd = Math.Sqrt(sumOfSquares / n - sampleMean * sampleMean);
        Assert.True(Math.Abs(sampleMean) <= 5 * sigma / Math.Sqrt(n), $"sample mean {sampleMean} is off by more than 5 standard errors ({sigma / Math.Sqrt(n):G3})");
        Assert.True(Math.Abs(sampleStd - sigma) <= 5 * sigma / Math.Sqrt(2.0 * n),
            $"sample standard deviation {sampleStd} is more than 5 standard errors ({sigma / Math.Sqrt(2.0 * n):G3}) from {sigma}");
        const double tail = 0.0455002638963584; // P(|Z| > 2) = erfc(√2)
        var share = (double)beyondTwoSigma / n;
        Assert.True(Math.Abs(share - tail) <= 5 * Math.Sqrt(tail * (1 - tail) / n), $"{share:P3} of draws lie beyond 2σ, expected {tail:P3}");
    }

    [Fact]
    public void Seeded_draws_have_the_requested_standard_deviation()
    {
        using var noise = GaussianNoise.FromSeed(11, "moments");
        var draws = new float[200_000];

        noise.Fill(draws, 2.5);

        AssertNormal(draws, 2.5);
    }

    [Fact]
    public void Draws_from_the_operating_system_csprng_have_the_requested_standard_deviation()
    {
        using var noise = GaussianNoise.CreateSecure();
        var draws = new float[200_000];

        noise.AddTo(draws, 0.3);

        AssertNormal(draws, 0.3);
    }

    [Fact]
    public void Adding_noise_shifts_nothing_but_the_spread()
    {
        using var noise = GaussianNoise.FromSeed(3, "shift");
        var values = new float[100_000];
        values.AsSpan().Fill(7f);

        noise.AddTo(values, 1.5);

        AssertNormal(values, 1.5, mean: 7);
    }

    [Fact]
    public void The_same_seed_and_purpose_give_the_same_draws_and_others_differ()
    {
        static float[] Draw(long seed, string purpose)
        {
            using var noise = GaussianNoise.FromSeed(seed, purpose);
            var values = new float[1_000];
            noise.Fill(values, 1);
            return values;
        }

        Assert.Equal(Draw(5, "a"), Draw(5, "a"));
        Assert.NotEqual(Draw(5, "a"), Draw(6, "a"));
        Assert.NotEqual(Draw(5, "a"), Draw(5, "b"));
    }

    [Fact]
    public void The_sequence_does_not_depend_on_how_the_draws_are_requested()
    {
        using var whole = GaussianNoise.FromSeed(9, "chunks");
        var expected = new float[1_300];
        whole.Fill(expected, 1);

        using var pieces = GaussianNoise.FromSeed(9, "chunks");
        var actual = new float[1_300];
        pieces.Fill(actual.AsSpan(0, 7), 1);
        actual[7] = (float)pieces.NextStandard();
        pieces.Fill(actual.AsSpan(8, 600), 1);
        pieces.Fill(actual.AsSpan(608), 1);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void A_zero_deviation_adds_nothing_and_draws_nothing()
    {
        using var noise = GaussianNoise.FromSeed(1, "zero");
        float[] values = [1f, 2f, 3f];
        noise.AddTo(values, 0);
        using var fresh = GaussianNoise.FromSeed(1, "zero");

        Assert.Equal([1f, 2f, 3f], values);
        Assert.Equal(fresh.NextStandard(), noise.NextStandard());
    }

    [Fact]
    public void The_seeded_source_is_the_aes_ctr_stream_of_the_seed()
    {
        // Same bytes in, same draws out: the noise is a function of the byte stream only.
        using var direct = new GaussianNoise(new SeededRandomNumberGenerator(4, "dp-noise/x"));
        using var viaFactory = GaussianNoise.FromSeed(4, "x");

        for (var i = 0; i < 600; i++) Assert.Equal(direct.NextStandard(), viaFactory.NextStandard());
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_bad_deviation_is_refused(double sigma)
    {
        using var noise = new GaussianNoise(RandomNumberGenerator.Create());

        Assert.Equal("standardDeviation", Assert.Throws<ArgumentOutOfRangeException>(() => noise.AddTo(new float[2], sigma)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => noise.Next(sigma));
    }
}
