using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Tests.Privacy.SecAgg;

public class FixedPointQuantizerTests
{
    [Fact]
    public void The_grid_is_set_by_the_clip_bound_and_the_number_of_clients()
    {
        var q = new FixedPointQuantizer(1.0, 100);
        Assert.Equal(21_474_836, q.MaxMagnitude);
        Assert.Equal(1.0 / 21_474_836, q.Step, 1e-20);
        Assert.Equal(21_474_836.0, q.Scale);
        Assert.Equal(100 * q.Step / 2, q.SumErrorBound(100));
        Assert.Equal(100 * q.Step, q.SumErrorBound(100, QuantizationRounding.Stochastic));
    }

    [Fact]
    public void The_sum_of_n_extreme_values_does_not_wrap()
    {
        const int n = 37;
        var q = new FixedPointQuantizer(2.5, n);
        var plus = new uint[1];
        var minus = new uint[1];
        q.Quantize([2.5f], plus);
        q.Quantize([-1e30f], minus); // clipped to −c
        uint sumPlus = 0, sumMinus = 0;
        for (var i = 0; i < n; i++)
        {
            sumPlus += plus[0];
            sumMinus += minus[0];
        }
        var result = new double[1];
        q.Dequantize([sumPlus], result);
        Assert.Equal(n * 2.5, result[0], 1e-6);
        q.Dequantize([sumMinus], result);
        Assert.Equal(-n * 2.5, result[0], 1e-6);
        Assert.InRange((long)n * q.MaxMagnitude, 0, int.MaxValue);
    }

    [Fact]
    public void Nearest_rounding_is_within_half_a_step_and_stochastic_within_one_and_unbiased()
    {
        var q = new FixedPointQuantizer(1.0, 1000);
        var random = new Random(5);
        var values = new float[100_000];
        for (var i = 0; i < values.Length; i++) values[i] = random.NextSingle() * 2 - 1;

        var nearest = new uint[values.Length];
        q.Quantize(values, nearest);
        var back = new double[values.Length];
        q.Dequantize(nearest, back);
        for (var i = 0; i < values.Length; i++) Assert.True(Math.Abs(back[i] - values[i]) <= q.Step / 2 * (1 + 1e-9));

        using var generator = new SeededRandomNumberGenerator(5, "rounding");
        var stochastic = new uint[values.Length];
        q.QuantizeStochastic(values, stochastic, generator);
        q.Dequantize(stochastic, back);
        var bias = 0.0;
        for (var i = 0; i < values.Length; i++)
        {
            Assert.True(Math.Abs(back[i] - values[i]) < q.Step);
            bias += (back[i] - values[i]) / q.Step;
        }
        // Each error is uniform-ish in (−1, 1) steps with mean 0: the mean of 10^5 is within a few 10^-3.
        Assert.InRange(bias / values.Length, -0.01, 0.01);
    }

    [Fact]
    public void The_vectorised_path_equals_the_scalar_definition()
    {
        var q = new FixedPointQuantizer(0.75, 7);
        var random = new Random(9);
        var values = new List<float> { 0f, -0f, 0.75f, -0.75f, 0.7500001f, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon };
        // Exact ties: k + 0.5 grid steps (the scale is a whole number over c, so these are representable cases).
        for (var k = -4; k < 4; k++) values.Add((float)((k + 0.5) / q.Scale));
        for (var i = 0; i < 5_000; i++) values.Add((float)(random.NextDouble() * 2 - 1) * (i % 2 == 0 ? 1f : 1e-6f));
        var input = values.ToArray();
        var actual = new uint[input.Length];
        q.Quantize(input, actual);
        for (var i = 0; i < input.Length; i++)
        {
            var expected = (int)Math.Round(Math.Clamp(input[i] * q.Scale, -q.MaxMagnitude, q.MaxMagnitude), MidpointRounding.ToEven);
            Assert.Equal(expected, (int)actual[i]);
        }
        // A NaN anywhere, vector body or tail, is refused.
        input[1234] = float.NaN;
        Assert.Throws<ArgumentException>(() => q.Quantize(input, actual));
    }

    [Fact]
    public void NaN_is_rejected_and_infinities_are_clipped()
    {
        var q = new FixedPointQuantizer(1.0, 10);
        Assert.Throws<ArgumentException>(() => q.Quantize([float.NaN], new uint[1]));
        var destination = new uint[2];
        q.Quantize([float.PositiveInfinity, float.NegativeInfinity], destination);
        Assert.Equal(q.MaxMagnitude, (int)destination[0]);
        Assert.Equal(-q.MaxMagnitude, (int)destination[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedPointQuantizer(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedPointQuantizer(1, 0));
    }
}
