using FlMicroservices.Core.Data;

namespace FlMicroservices.Training.Tests;

public sealed class LocalTrainerTests : IDisposable
{
    private static readonly InMemoryDataset Train = SeparableClusters.Generate(400, sampleSeed: 1);
    private static readonly InMemoryDataset Test = SeparableClusters.Generate(200, sampleSeed: 2);
    private static readonly float[] Initial = ModelFactory.InitialParameters("logreg", [10], 4, seed: 11);
    private static readonly TrainingSettings Sgd = new(Epochs: 3, BatchSize: 10, LearningRate: 0.05);

    private readonly LocalTrainer _trainer = new("logreg", [10], 4);

    public void Dispose() => _trainer.Dispose();

    private static float Distance(float[] a, float[] b) =>
        MathF.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum());

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.9, 0.001)]
    public void LogisticRegressionLearnsSeparableClusters(double momentum, double weightDecay)
    {
        var before = _trainer.Evaluate(Initial, Test);

        var result = _trainer.Train(Initial, Train, Sgd with { Momentum = momentum, WeightDecay = weightDecay }, seed: 5);
        var after = _trainer.Evaluate(result.Parameters, Test);

        Assert.InRange(before.Accuracy, 0.0, 0.6);
        Assert.True(before.Loss > 1.0, $"loss before training {before.Loss}");
        Assert.True(after.Accuracy >= 0.97, $"accuracy after training {after.Accuracy}");
        Assert.True(after.Loss < 0.2, $"loss after training {after.Loss}");
        Assert.True(result.MeanLoss < 0.3, $"last-epoch training loss {result.MeanLoss}");
        Assert.Equal(200, after.Count);
    }

    [Fact]
    public void ResultReportsExamplesAndStepsIncludingThePartialLastBatch()
    {
        var result = _trainer.Train(Initial, Train.Take(95), Sgd with { Epochs = 2 }, seed: 1);

        Assert.Equal(95, result.ExampleCount);
        Assert.Equal(2 * 10, result.Steps);
        Assert.Equal(Initial.Length, result.Parameters.Length);
        Assert.True(double.IsFinite(result.MeanLoss) && result.MeanLoss > 0);
    }

    [Fact]
    public void SameSeedGivesBitIdenticalParametersEvenAcrossTrainers()
    {
        using var other = new LocalTrainer("logreg", [10], 4);

        var first = _trainer.Train(Initial, Train, Sgd, seed: 42);
        _trainer.Train(Initial, Train, Sgd, seed: 43);
        var again = _trainer.Train(Initial, Train, Sgd, seed: 42);
        var elsewhere = other.Train(Initial, Train, Sgd, seed: 42);

        Assert.Equal(first.Parameters, again.Parameters);
        Assert.Equal(first.Parameters, elsewhere.Parameters);
        Assert.Equal(first.MeanLoss, again.MeanLoss);
    }

    [Fact]
    public void DifferentSeedsShuffleDifferently()
    {
        var a = _trainer.Train(Initial, Train, Sgd, seed: 1);
        var b = _trainer.Train(Initial, Train, Sgd, seed: 2);

        Assert.NotEqual(a.Parameters, b.Parameters);
    }

    [Fact]
    public void GlobalParametersAreLeftUntouched()
    {
        var global = (float[])Initial.Clone();

        var result = _trainer.Train(global, Train, Sgd, seed: 3);

        Assert.Equal(Initial, global);
        Assert.NotEqual(global, result.Parameters);
    }

    [Fact]
    public void ProximalTermKeepsTheClientCloserToTheGlobalModel()
    {
        var fedAvg = _trainer.Train(Initial, Train, Sgd, seed: 9);
        var fedProx = _trainer.Train(Initial, Train, Sgd with { ProximalMu = 1.0 }, seed: 9);

        var drift = Distance(fedAvg.Parameters, Initial);
        var proxDrift = Distance(fedProx.Parameters, Initial);

        Assert.True(proxDrift < 0.8 * drift, $"drift with mu=1 {proxDrift}, without {drift}");
        Assert.True(proxDrift > 0, "the proximal term should slow the client, not freeze it");
    }

    [Fact]
    public void EvaluatorAgreesWithTheTrainersEvaluate()
    {
        using var evaluator = new Evaluator("logreg", [10], 4);
        var trained = _trainer.Train(Initial, Train, Sgd, seed: 4).Parameters;

        var a = evaluator.Evaluate(trained, Test, batchSize: 7);
        var b = _trainer.Evaluate(trained, Test);

        Assert.Equal(a.Accuracy, b.Accuracy);
        Assert.Equal(a.Loss, b.Loss, 5);
        Assert.Equal(200, a.Count);
    }

    [Fact]
    public void WrongParameterLengthOrDataShapeIsRejected()
    {
        var wide = SeparableClusters.Generate(20, features: 12);

        var length = Assert.Throws<ArgumentException>(() => _trainer.Train(new float[43], Train, Sgd, seed: 1));
        var shape = Assert.Throws<ArgumentException>(() => _trainer.Train(Initial, wide, Sgd, seed: 1));

        Assert.Contains("44 parameters but 43 values", length.Message);
        Assert.Contains("12 features", shape.Message);
    }

    [Fact]
    public void InvalidSettingsAreRejectedNamingEachProblem()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            _trainer.Train(Initial, Train, new TrainingSettings(0, 10, -1) { ProximalMu = -1 }, seed: 1));

        Assert.Contains("Epochs 0", e.Message);
        Assert.Contains("LearningRate -1", e.Message);
        Assert.Contains("ProximalMu -1", e.Message);
    }

    [Fact]
    public void CancelledTokenStopsTraining()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.Throws<OperationCanceledException>(() => _trainer.Train(Initial, Train, Sgd, seed: 1, cts.Token));
    }

    [Fact]
    public void CnnTakesStepsOnFlatMnistShapedRows()
    {
        using var cnn = new LocalTrainer("cnn", [784], 10);
        var rng = new Random(2);
        var data = new InMemoryDataset(
            Enumerable.Range(0, 24 * 784).Select(_ => (float)rng.NextDouble()).ToArray(),
            Enumerable.Range(0, 24).Select(i => i % 10).ToArray(), [784], 10);
        var initial = ModelFactory.InitialParameters("cnn", [784], 10, seed: 1);

        var result = cnn.Train(initial, data, new TrainingSettings(1, 8, 0.01), seed: 1);

        Assert.Equal(3, result.Steps);
        Assert.Equal(1_663_370, result.Parameters.Length);
        Assert.NotEqual(initial, result.Parameters);
        Assert.InRange(result.MeanLoss, 1.0, 4.0);
    }

    [MnistFact]
    public void MlpLearnsMnistDigitsFromTwoThousandExamples()
    {
        var (train, test) = MnistLoader.Load(RepositoryPaths.MnistDirectory!);
        using var mlp = new LocalTrainer("mlp", [1, 28, 28], 10);
        var initial = ModelFactory.InitialParameters("mlp", [1, 28, 28], 10, seed: 1);
        var heldOut = test.Take(2000);

        var before = mlp.Evaluate(initial, heldOut);
        var result = mlp.Train(initial, train.Take(2000), new TrainingSettings(2, 10, 0.1), seed: 1);
        var after = mlp.Evaluate(result.Parameters, heldOut);

        Assert.Equal(400, result.Steps);
        Assert.InRange(before.Accuracy, 0.0, 0.25);
        Assert.True(after.Accuracy > 0.8, $"test accuracy {after.Accuracy}");
    }
}
