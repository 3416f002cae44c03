using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Compression;

namespace FlMicroservices.Core.Tests.Compression;

public class StochasticQuantizerTests
{
    private static float[] Values(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1) * 0.05f).ToArray();
    }

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    public void The_mean_of_many_decodes_is_the_input(int bits)
    {
        var x = Values(300, 1);
        var quantizer = new StochasticQuantizer(bits, chunkElements: 128);
        const int draws = 4000;
        var sum = new double[x.Length];
        var decoded = new float[x.Length];
        var random = new Random(42);
        for (var d = 0; d < draws; d++)
        {
            quantizer.Decode(quantizer.Encode(x, random), decoded);
            for (var i = 0; i < x.Length; i++) sum[i] += decoded[i];
        }
        // Each decode deviates from x by at most one step, so the mean of 4,000 has standard deviation at most step/(2·√4000):
        // 6 of those bound every element's error with room to spare.
        var step = 0.1 / ((1 << bits) - 1);
        var tolerance = 6 * step / (2 * Math.Sqrt(draws));
        var worst = x.Select((v, i) => Math.Abs(sum[i] / draws - v)).Max();
        Assert.True(worst < tolerance, $"largest |mean decode - x| = {worst:E3}, tolerance {tolerance:E3}");
        // Not trivially unbiased: single decodes do move.
        quantizer.Decode(quantizer.Encode(x, new Random(0)), decoded);
        Assert.True(x.Zip(decoded).Count(p => p.First != p.Second) > x.Length / 2);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    public void Every_decode_is_within_one_step_of_its_input(int bits)
    {
        var x = Values(10_000, 2);
        x[17] = 3f; // an outlier widens its chunk's step, and only its chunk's
        var quantizer = new StochasticQuantizer(bits, chunkElements: 1000);
        var decoded = new float[x.Length];
        quantizer.Decode(quantizer.Encode(x, new Random(5)), decoded);
        for (var chunk = 0; chunk < 10; chunk++)
        {
            var part = x.AsSpan(chunk * 1000, 1000).ToArray();
            var step = (part.Max() - part.Min()) / ((1 << bits) - 1);
            for (var i = chunk * 1000; i < (chunk + 1) * 1000; i++)
                Assert.True(Math.Abs(decoded[i] - x[i]) <= step * 1.0001, $"element {i}: {decoded[i]} vs {x[i]}, step {step}");
        }
    }

    [Fact]
    public void Sizes_are_a_quarter_and_an_eighth_of_float32_plus_the_chunk_headers()
    {
        Assert.Equal(4 + 16 * 8 + 65_536, new StochasticQuantizer(8).EncodedLength(65_536));
        Assert.Equal(4 + 16 * 8 + 32_768, new StochasticQuantizer(4).EncodedLength(65_536));
        Assert.Equal(4 + 8 + 3, new StochasticQuantizer(4).EncodedLength(5));
    }

    [Fact]
    public void A_constant_chunk_decodes_exactly()
    {
        var x = Enumerable.Repeat(0.25f, 9).ToArray();
        var decoded = new float[9];
        var quantizer = new StochasticQuantizer(4);
        quantizer.Decode(quantizer.Encode(x, new Random(1)), decoded);
        Assert.Equal(x, decoded);
    }

    [Fact]
    public void Non_finite_values_are_refused_with_their_index()
    {
        var x = new float[] { 1, float.NaN, 2 };
        var error = Assert.Throws<ArgumentException>(() => new StochasticQuantizer(8).Encode(x, new Random(1)));
        Assert.Contains("Element 1", error.Message);
    }

    [Fact]
    public void Malformed_encodings_are_rejected_with_a_reason()
    {
        var quantizer = new StochasticQuantizer(8, chunkElements: 4);
        var good = quantizer.Encode([1, 2, 3, 4, 5], new Random(1));
        var destination = new float[5];

        Assert.Contains("does not hold 5 elements", Assert.Throws<MalformedSliceException>(() => quantizer.Decode(good[..^1], destination)).Message);
        Assert.Contains("shorter", Assert.Throws<MalformedSliceException>(() => quantizer.Decode(good[..2], destination)).Message);
        var zeroChunk = (byte[])good.Clone();
        BitConverter.TryWriteBytes(zeroChunk.AsSpan(0, 4), 0);
        Assert.Contains("chunk size 0", Assert.Throws<MalformedSliceException>(() => quantizer.Decode(zeroChunk, destination)).Message);
        var nanStep = (byte[])good.Clone();
        BitConverter.TryWriteBytes(nanStep.AsSpan(8, 4), float.NaN);
        Assert.Contains("chunk 0", Assert.Throws<MalformedSliceException>(() => quantizer.Decode(nanStep, destination)).Message);
        var negative = (byte[])good.Clone();
        BitConverter.TryWriteBytes(negative.AsSpan(16, 4), -1f);
        Assert.Contains("chunk 1", Assert.Throws<MalformedSliceException>(() => quantizer.Decode(negative, destination)).Message);
    }
}
