using FlMicroservices.Core.Data;
using static TorchSharp.torch;

namespace FlMicroservices.Training.Tests;

public sealed class DpSgdTests
{
    private static readonly InMemoryDataset Train = SeparableClusters.Generate(400, sampleSeed: 1);
    private static readonly InMemoryDataset Test = SeparableClusters.Generate(200, sampleSeed: 2);

    private static double Norm(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var v in values) sum += (double)v * v;
        return Math.Sqrt(sum);
    }

    private static float[] Difference(float[] a, float[] b) => a.Zip(b, (x, y) => x - y).ToArray();

    /// <summary>
    /// Eight ordinary examples and an outlier: features 1,000 times too large, labelled with the class the model finds least
    /// likely, so that its loss and gradient are huge.
    /// </summary>
    private static (InMemoryDataset Ordinary, InMemoryDataset WithOutlier) OutlierBatch(nn.Module<Tensor, Tensor> model)
    {
        var ordinary = Train.Take(8);
        var features = new float[9 * 10];
        ordinary.Features.CopyTo(features, 0);
        for (var f = 0; f < 10; f++) features[8 * 10 + f] = Train.Features[8 * 10 + f] * 1_000;
        using var scope = NewDisposeScope();
        var logits = model.call(tensor(features.AsSpan(80, 10).ToArray(), [1, 10]));
        var leastLikely = (int)logits.argmin().item<long>();
        var labels = ordinary.Labels.Append(leastLikely).ToArray();
        return (ordinary, new InMemoryDataset(features, labels, [10], 4));
    }

    [Theory]
    [InlineData("mlp", PerSampleGradientMode.Vectorised)]
    [InlineData("mlp", PerSampleGradientMode.MicroBatch)]
    [InlineData("logreg", PerSampleGradientMode.Auto)]
    public void A_huge_loss_example_moves_the_clipped_sum_by_at_most_the_clip_norm(string model, PerSampleGradientMode mode)
    {
        using var module = ModelFactory.Create(model, [10], 4);
        ParameterVector.Set(module, ModelFactory.InitialParameters(model, [10], 4, seed: 3));
        var (ordinary, withOutlier) = OutlierBatch(module);

        var without = PerSampleGradients.ClippedGradientSum(module, ordinary, 1.0, mode, out _);
        var with = PerSampleGradients.ClippedGradientSum(module, withOutlier, 1.0, mode, out var norms);
        var unclippedWithout = PerSampleGradients.ClippedGradientSum(module, ordinary, double.PositiveInfinity, mode, out _);
        var unclippedWith = PerSampleGradients.ClippedGradientSum(module, withOutlier, double.PositiveInfinity, mode, out _);

        Assert.True(norms[8] > 100, $"the outlier's gradient norm is only {norms[8]}");
        var influence = Norm(Difference(with, without));
        Assert.True(influence <= 1.0 + 1e-4, $"the clipped outlier moved the sum by {influence}");
        Assert.Equal(1.0, influence, 1e-3); // clipped to exactly C = 1
        Assert.Equal(norms[8], Norm(Difference(unclippedWith, unclippedWithout)), norms[8] * 1e-4); // unclipped it would move it by its norm
        Assert.True(Norm(without) <= 8 + 1e-4, "eight clipped gradients sum to a norm of at most 8");
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("logreg")]
    public void Vectorised_and_micro_batch_per_example_gradients_agree(string model)
    {
        using var module = ModelFactory.Create(model, [10], 4);
        ParameterVector.Set(module, ModelFactory.InitialParameters(model, [10], 4, seed: 4));
        var batch = OutlierBatch(module).WithOutlier;

        var vectorised = PerSampleGradients.ClippedGradientSum(module, batch, 0.5, PerSampleGradientMode.Vectorised, out var fastNorms);
        var micro = PerSampleGradients.ClippedGradientSum(module, batch, 0.5, PerSampleGradientMode.MicroBatch, out var slowNorms);

        Assert.True(PerSampleGradients.CanVectorise(module));
        for (var i = 0; i < fastNorms.Length; i++) Assert.Equal(slowNorms[i], fastNorms[i], slowNorms[i] * 1e-4);
        var scale = Math.Max(1e-3, micro.Max(Math.Abs));
        for (var i = 0; i < micro.Length; i++) Assert.True(Math.Abs(micro[i] - vectorised[i]) <= 1e-4 * scale, $"coordinate {i}: {micro[i]} vs {vectorised[i]}");
    }

    [Fact]
    public void The_cnn_takes_the_micro_batch_path()
    {
        using var module = ModelFactory.Create("cnn", [1, 8, 8], 3);
        var images = new InMemoryDataset(Enumerable.Range(0, 3 * 64).Select(i => (float)Math.Sin(i)).ToArray(), [0, 1, 2], [1, 8, 8], 3);

        Assert.False(PerSampleGradients.CanVectorise(module));
        Assert.Throws<ArgumentException>(() => PerSampleGradients.ClippedGradientSum(module, images, 1, PerSampleGradientMode.Vectorised, out _));
        var sum = PerSampleGradients.ClippedGradientSum(module, images, 0.01, PerSampleGradientMode.Auto, out var norms);
        Assert.Equal(3, norms.Length);
        Assert.True(Norm(sum) <= 3 * 0.01 + 1e-6);
    }

    [Fact]
    public void With_no_noise_and_no_clipping_dp_sgd_is_plain_sgd()
    {
        var initial = ModelFactory.InitialParameters("mlp", [10], 4, seed: 2);
        var settings = new TrainingSettings(Epochs: 2, BatchSize: 16, LearningRate: 0.1) { Momentum = 0.5, ProximalMu = 0.01 };
        using var trainer = new LocalTrainer("mlp", [10], 4);

        var plain = trainer.Train(initial, Train.Take(100), settings, seed: 7);
        var dp = trainer.Train(initial, Train.Take(100), settings with { DpSgd = new DpSgdSettings(0, double.PositiveInfinity) }, seed: 7);

        Assert.Equal(plain.Steps, dp.Steps);
        var worst = plain.Parameters.Zip(dp.Parameters, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-5, $"largest difference {worst}");
        Assert.True(Norm(Difference(plain.Parameters, initial)) > 1e-2, "training should move the parameters");
        Assert.Equal(plain.MeanLoss, dp.MeanLoss, 1e-5);
    }

    [Fact]
    public void One_clipped_step_moves_the_model_by_at_most_the_learning_rate_times_the_clip_norm()
    {
        var initial = ModelFactory.InitialParameters("mlp", [10], 4, seed: 5);
        using var module = ModelFactory.Create("mlp", [10], 4);
        ParameterVector.Set(module, initial);
        var batch = OutlierBatch(module).WithOutlier;
        var settings = new TrainingSettings(Epochs: 1, BatchSize: 9, LearningRate: 1.0);
        using var trainer = new LocalTrainer("mlp", [10], 4);

        var plain = trainer.Train(initial, batch, settings, seed: 1);
        var clipped = trainer.Train(initial, batch, settings with { DpSgd = new DpSgdSettings(0, 0.1) }, seed: 1);

        Assert.True(Norm(Difference(plain.Parameters, initial)) > 10, "plain SGD should follow the outlier far");
        Assert.True(Norm(Difference(clipped.Parameters, initial)) <= 0.1 + 1e-5, "the average of clipped gradients has norm at most C");
    }

    [Fact]
    public void The_noise_on_each_step_has_standard_deviation_sigma_times_c_over_the_batch_size()
    {
        // From the zero model with a clip norm of 1e-4, the clipped sum has norm at most B·1e-4 (negligible), so one step
        // at learning rate 1 moves the parameters by minus the noise over B: N(0, (σC/B)²) on each of the mlp's 42,804.
        var zero = new float[ModelFactory.InitialParameters("mlp", [10], 4, seed: 1).Length];
        const double sigma = 5_000, clip = 1e-4;
        const int batch = 8;
        using var trainer = new LocalTrainer("mlp", [10], 4);
        var settings = new TrainingSettings(Epochs: 1, BatchSize: batch, LearningRate: 1.0) { DpSgd = new DpSgdSettings(sigma, clip) { NoiseSeed = 9 } };

        var step = trainer.Train(zero, Train.Take(batch), settings, seed: 1).Parameters;

        var expected = sigma * clip / batch;
        var n = step.Length;
        var mean = step.Average(v => (double)v);
        var std = Math.Sqrt(step.Sum(v => ((double)v - mean) * ((double)v - mean)) / n);
        // Standard errors σ/√n for the mean and σ/√(2n) for the standard deviation; 5 of them, plus the clipped sum's share.
        Assert.True(Math.Abs(mean) <= 5 * expected / Math.Sqrt(n) + batch * clip / batch, $"mean {mean}");
        Assert.True(Math.Abs(std - expected) <= 5 * expected / Math.Sqrt(2.0 * n) + clip, $"standard deviation {std}, expected {expected}");
    }

    [Fact]
    public void A_noise_seed_makes_dp_sgd_reproducible_and_without_one_each_run_differs()
    {
        var initial = ModelFactory.InitialParameters("logreg", [10], 4, seed: 6);
        var settings = new TrainingSettings(Epochs: 1, BatchSize: 20, LearningRate: 0.1);
        using var trainer = new LocalTrainer("logreg", [10], 4);
        float[] Run(long? noiseSeed) =>
            trainer.Train(initial, Train.Take(100), settings with { DpSgd = new DpSgdSettings(1.0, 1.0) { NoiseSeed = noiseSeed } }, seed: 3).Parameters;

        Assert.Equal(Run(5), Run(5));
        Assert.NotEqual(Run(5), Run(6));
        Assert.NotEqual(Run(null), Run(null));
    }

    [Theory]
    [InlineData("logreg", 0.05)]
    [InlineData("mlp", 0.05)]
    public void Dp_sgd_with_moderate_noise_still_learns(string model, double learningRate)
    {
        // σ = 1, C = 1, B = 20 over 400 examples, 5 epochs: 100 noisy steps, each coordinate's noise 0.05 per step.
        var initial = ModelFactory.InitialParameters(model, [10], 4, seed: 11);
        using var trainer = new LocalTrainer(model, [10], 4);
        var settings = new TrainingSettings(Epochs: 5, BatchSize: 20, LearningRate: learningRate * 10)
        {
            DpSgd = new DpSgdSettings(1.0, 1.0) { NoiseSeed = 12 },
        };

        var before = trainer.Evaluate(initial, Test);
        var result = trainer.Train(initial, Train, settings, seed: 4);
        var after = trainer.Evaluate(result.Parameters, Test);

        Assert.Equal(100, result.Steps);
        Assert.True(after.Accuracy >= 0.8, $"accuracy {after.Accuracy:P1} after DP-SGD (chance is 25%, {before.Accuracy:P1} before)");
        Assert.True(after.Loss < before.Loss, $"loss {after.Loss} did not fall from {before.Loss}");
    }

    [Theory]
    [InlineData(-1.0, 1.0, "DpSgd.NoiseMultiplier")]
    [InlineData(double.NaN, 1.0, "DpSgd.NoiseMultiplier")]
    [InlineData(1.0, 0.0, "DpSgd.ClipNorm")]
    [InlineData(1.0, double.PositiveInfinity, "DpSgd.ClipNorm must be finite")]
    public void Bad_dp_settings_are_refused_naming_the_setting(double sigma, double clip, string named)
    {
        var settings = new TrainingSettings(1, 10, 0.1) { DpSgd = new DpSgdSettings(sigma, clip) };

        var error = Assert.Throws<ArgumentException>(settings.Validate);

        Assert.Contains(named, error.Message);
    }
}
