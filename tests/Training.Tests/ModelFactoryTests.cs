using static TorchSharp.torch;

namespace FlMicroservices.Training.Tests;

public class ModelFactoryTests
{
    [Theory]
    [InlineData("logreg", new[] { 784 }, 7_850)]
    [InlineData("mlp", new[] { 784 }, 199_210)]
    [InlineData("cnn", new[] { 1, 28, 28 }, 1_663_370)]
    [InlineData("cnn", new[] { 784 }, 1_663_370)]
    [InlineData("logreg", new[] { 60 }, 610)]
    [InlineData("mlp", new[] { 3, 4, 5 }, 60 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10)]
    public void ParameterCountsMatchTheArchitectures(string name, int[] shape, int expected)
    {
        using var model = ModelFactory.Create(name, shape, 10);

        Assert.Equal(expected, ParameterVector.Count(model));
    }

    [Theory]
    [InlineData("logreg", new[] { 784 })]
    [InlineData("mlp", new[] { 1, 28, 28 })]
    [InlineData("cnn", new[] { 1, 28, 28 })]
    [InlineData("cnn", new[] { 784 })]
    [InlineData("cnn", new[] { 3, 9, 7 })]
    public void ModelsMapABatchToOneLogitPerClass(string name, int[] shape)
    {
        using var model = ModelFactory.Create(name, shape, 7);
        using var scope = NewDisposeScope();

        var logits = model.call(randn(shape.Select(d => (long)d).Prepend(5L).ToArray()));

        Assert.Equal([5L, 7L], logits.shape);
    }

    [Fact]
    public void UnknownNameListsTheValidOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelFactory.Create("resnet", [784], 10));

        Assert.Contains("'resnet'", e.Message);
        Assert.Contains("logreg, mlp, cnn", e.Message);
        Assert.Equal(["logreg", "mlp", "cnn"], ModelFactory.Names);
    }

    [Theory]
    [InlineData(new[] { 60 })]
    [InlineData(new[] { 28, 28 })]
    [InlineData(new[] { 1, 3, 28 })]
    public void CnnRejectsShapesItCannotTake(int[] shape)
    {
        var e = Assert.Throws<ArgumentException>(() => ModelFactory.Create("cnn", shape, 10));

        Assert.Contains("cnn", e.Message);
    }

    [Fact]
    public void InitialParametersRepeatForASeedAndDifferAcrossSeeds()
    {
        var first = ModelFactory.InitialParameters("mlp", [784], 10, seed: 3);
        var again = ModelFactory.InitialParameters("mlp", [784], 10, seed: 3);
        var other = ModelFactory.InitialParameters("mlp", [784], 10, seed: 4);

        Assert.Equal(199_210, first.Length);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }
    [Fact]
    public async Task InitialParametersRepeatWhileOtherThreadsBuildModels()
    {
        // Trainers and evaluators elsewhere in the process build models (drawing from torch's global generator) while the
        // model registry makes a task's seeded initial model: the seeded model must not change.
        var expected = ModelFactory.InitialParameters("logreg", [60], 10, seed: 7);
        using var stop = new CancellationTokenSource();
        var builders = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var built = 0;
            while (!stop.IsCancellationRequested || built == 0)
            {
                using var model = ModelFactory.Create("mlp", [60], 10);
                built++;
            }
            return built;
        })).ToArray();
        var mismatches = 0;
        for (var i = 0; i < 200; i++)
            if (!ModelFactory.InitialParameters("logreg", [60], 10, seed: 7).AsSpan().SequenceEqual(expected)) mismatches++;
        await stop.CancelAsync();
        var builds = await Task.WhenAll(builders);

        Assert.All(builds, b => Assert.True(b > 0));
        Assert.Equal(0, mismatches);
    }
}
