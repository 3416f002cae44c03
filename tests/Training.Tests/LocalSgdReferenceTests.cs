using static TorchSharp.torch;

namespace FlMicroservices.Training.Tests;

/// <summary>The trainer's own SGD against torch.optim.SGD, with FedProx written out as a loss term.</summary>
public class LocalSgdReferenceTests
{
    [Theory]
    [InlineData(0.0, 0.0, 0.0)]
    [InlineData(0.9, 0.0, 0.0)]
    [InlineData(0.0, 0.05, 0.0)]
    [InlineData(0.5, 0.01, 0.3)]
    public void FullBatchTrainingMatchesTorchOptimSgd(double momentum, double weightDecay, double mu)
    {
        // With one batch per epoch the shuffle only reorders a sum, so both runs see the same gradients.
        var data = SeparableClusters.Generate(64, sampleSeed: 3);
        var initial = ModelFactory.InitialParameters("mlp", [10], 4, seed: 2);
        var settings = new TrainingSettings(Epochs: 6, BatchSize: 64, LearningRate: 0.2)
        {
            Momentum = momentum,
            WeightDecay = weightDecay,
            ProximalMu = mu,
        };
        using var trainer = new LocalTrainer("mlp", [10], 4);

        var ours = trainer.Train(initial, data, settings, seed: 1).Parameters;
        var reference = TrainWithTorchOptim(initial, data, settings);

        var worst = ours.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-5, $"largest difference {worst}");
        Assert.True(ours.Zip(initial, (a, b) => Math.Abs(a - b)).Max() > 1e-3, "training should move the parameters");
    }

    private static float[] TrainWithTorchOptim(float[] initial, Core.Data.InMemoryDataset data, TrainingSettings settings)
    {
        using var model = ModelFactory.Create("mlp", [10], 4);
        ParameterVector.Set(model, initial);
        using var scope = NewDisposeScope();
        var x = tensor(data.Features, [data.Count, 10]);
        var y = tensor(data.Labels.Select(l => (long)l).ToArray());
        var anchor = tensor(initial);
        var optimizer = optim.SGD(model.parameters(), settings.LearningRate, settings.Momentum, weight_decay: settings.WeightDecay);
        for (var epoch = 0; epoch < settings.Epochs; epoch++)
        {
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            if (settings.ProximalMu > 0)
            {
                var w = cat(model.parameters().Select(p => p.flatten()).ToArray());
                loss = loss + (w - anchor).pow(2).sum() * (settings.ProximalMu / 2);
            }
            loss.backward();
            optimizer.step();
        }
        return ParameterVector.Get(model);
    }
}
