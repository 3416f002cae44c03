using FlMicroservices.Core.Models;
using FlMicroservices.Training;

namespace FlMicroservices.Training.Tests;

/// <summary>The parameter counts services compute without TorchSharp are those of the models the nodes build.</summary>
public sealed class ModelShapesTests
{
    [Theory]
    [InlineData("logreg", new[] { 60 }, 10, 610)]
    [InlineData("mlp", new[] { 784 }, 10, 199_210)] // McMahan et al.'s 2NN
    [InlineData("cnn", new[] { 1, 28, 28 }, 10, 1_663_370)] // McMahan et al.'s CNN
    [InlineData("cnn", new[] { 784 }, 10, 1_663_370)]
    [InlineData("cnn", new[] { 3, 7, 9 }, 4, 121_796)]
    public void Counts_match_the_built_models(string model, int[] shape, int classes, long expected)
    {
        Assert.Equal(expected, ModelShapes.ParameterCount(model, shape, classes));
        Assert.Equal(expected, ModelFactory.InitialParameters(model, shape, classes, seed: 1).Length);
    }

    [Fact]
    public void Shapes_the_cnn_cannot_take_are_refused_by_both_with_the_same_message()
    {
        var counted = Assert.Throws<ArgumentException>(() => ModelShapes.ParameterCount("cnn", [60], 10));
        var built = Assert.Throws<ArgumentException>(() => ModelFactory.Create("cnn", [60], 10));

        Assert.Equal(counted.Message, built.Message);
        Assert.Contains("got [60]", counted.Message);
    }
}
