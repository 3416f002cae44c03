namespace FlMicroservices.Training.Tests;

public class ParameterVectorTests
{
    [Fact]
    public void SetThenGetReturnsTheSameBits()
    {
        using var model = ModelFactory.Create("mlp", [20], 3);
        var rng = new Random(7);
        var values = Enumerable.Range(0, ParameterVector.Count(model)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        values[0] = float.Epsilon;
        values[1] = -0f;
        values[2] = 1e30f;

        ParameterVector.Set(model, values);
        var read = ParameterVector.Get(model);

        Assert.Equal(20 * 200 + 200 + 200 * 200 + 200 + 200 * 3 + 3, read.Length);
        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), read.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void SetCopiesSoLaterChangesToTheSourceDoNotLeakIn()
    {
        using var model = ModelFactory.Create("logreg", [4], 2);
        var values = new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

        ParameterVector.Set(model, values);
        values[0] = 99;

        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8, 9, 10], ParameterVector.Get(model));
    }

    [Theory]
    [InlineData(9)]
    [InlineData(11)]
    [InlineData(0)]
    public void WrongLengthIsRejectedNamingBothLengths(int length)
    {
        using var model = ModelFactory.Create("logreg", [4], 2);

        var e = Assert.Throws<ArgumentException>(() => ParameterVector.Set(model, new float[length]));

        Assert.Contains($"has 10 parameters but {length} values", e.Message);
    }
}
