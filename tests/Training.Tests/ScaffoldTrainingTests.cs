using static TorchSharp.torch;

namespace FlMicroservices.Training.Tests;

/// <summary>
/// SCAFFOLD on the client: the control correction c − c_i shifts every SGD step by −η·(c − c_i), and option II's
/// c_i⁺ = c_i − c + (x − y)/(K·η) is the mean local gradient along the trajectory.
/// </summary>
public class ScaffoldTrainingTests
{
    private static readonly Core.Data.InMemoryDataset Data = SeparableClusters.Generate(48, sampleSeed: 7);

    private static float[] Vector(int length, int seed, double scale)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)((rng.NextDouble() - 0.5) * scale)).ToArray();
    }

    [Theory]
    [InlineData("logreg", 0.0, false)]
    [InlineData("mlp", 0.0, false)]
    [InlineData("logreg", 0.05, false)] // weight decay
    [InlineData("mlp", 0.0, true)] // DP-SGD without noise: the correction acts on the privatized (clipped) gradient
    public void One_step_with_correction_v_moves_the_parameters_by_an_extra_minus_lr_times_v(string model, double weightDecay, bool dpSgd)
    {
        using var trainer = new LocalTrainer(model, [10], 4);
        var initial = ModelFactory.InitialParameters(model, [10], 4, seed: 3);
        const double lr = 0.1;
        var settings = new TrainingSettings(Epochs: 1, BatchSize: Data.Count, LearningRate: lr)
        {
            WeightDecay = weightDecay,
            DpSgd = dpSgd ? new DpSgdSettings(NoiseMultiplier: 0, ClipNorm: 0.5) : null,
        };
        var v = Vector(initial.Length, seed: 11, scale: 2.0); // c − c_i

        var plain = trainer.Train(initial, Data, settings, seed: 1);
        var corrected = trainer.Train(initial, Data, settings with { ControlCorrection = v }, seed: 1);

        Assert.Equal(1, corrected.Steps);
        for (var i = 0; i < initial.Length; i++)
            Assert.True(Math.Abs(corrected.Parameters[i] - plain.Parameters[i] - (-lr * v[i])) <= 1e-6,
                $"parameter {i}: moved {corrected.Parameters[i] - plain.Parameters[i]:R}, expected {-lr * v[i]:R}");
        Assert.True(plain.Parameters.Zip(initial, (a, b) => Math.Abs(a - b)).Max() > 1e-3, "the step itself should move the model");
    }

    [Fact]
    public void A_zero_correction_changes_nothing()
    {
        using var trainer = new LocalTrainer("mlp", [10], 4);
        var initial = ModelFactory.InitialParameters("mlp", [10], 4, seed: 4);
        var settings = new TrainingSettings(Epochs: 2, BatchSize: 8, LearningRate: 0.05);

        var plain = trainer.Train(initial, Data, settings, seed: 2);
        var zero = trainer.Train(initial, Data, settings with { ControlCorrection = new float[initial.Length] }, seed: 2);

        Assert.Equal(plain.Parameters, zero.Parameters);
    }

    [Theory]
    [InlineData(1)] // K = 1: option II is option I, c_i⁺ = the client's gradient at x
    [InlineData(4)]
    public void The_next_client_control_is_the_mean_gradient_along_the_corrected_trajectory(int steps)
    {
        // Full-batch steps, so the trajectory is deterministic and a plain torch loop can retrace it.
        using var trainer = new LocalTrainer("mlp", [10], 4);
        var x = ModelFactory.InitialParameters("mlp", [10], 4, seed: 5);
        const double lr = 0.2;
        var c = Vector(x.Length, seed: 1, scale: 0.2);
        var ci = Vector(x.Length, seed: 2, scale: 0.2);
        var settings = new TrainingSettings(Epochs: steps, BatchSize: Data.Count, LearningRate: lr)
        {
            ControlCorrection = ScaffoldControl.Correction(c, ci),
        };

        var result = trainer.Train(x, Data, settings, seed: 3);
        var next = ScaffoldControl.NextClientControl(ci, c, x, result.Parameters, result.Steps, lr);

        var (trajectoryEnd, meanGradient) = Retrace(x, c, ci, steps, lr);
        Assert.Equal(steps, result.Steps);
        Assert.True(result.Parameters.Zip(trajectoryEnd, (a, b) => Math.Abs(a - b)).Max() < 1e-5, "the trainer should follow y ← y − η(g(y) − c_i + c)");
        var worst = next.Zip(meanGradient, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-4, $"c_i+ differs from the mean gradient by up to {worst}");
        Assert.True(meanGradient.Select(Math.Abs).Max() > 1e-2, "the gradient should not be trivially zero");
    }

    [Fact]
    public void The_next_client_control_and_the_delta_follow_the_formula_on_small_numbers()
    {
        // c_i⁺ = c_i − c + (x − y) / (K η), K = 4, η = 0.5: (x − y) / 2.
        float[] ci = [1f, 0f, -2f];
        float[] c = [0.5f, 0.5f, 0.5f];
        float[] x = [1f, 2f, 3f];
        float[] y = [0f, 3f, 3f];

        var next = ScaffoldControl.NextClientControl(ci, c, x, y, steps: 4, learningRate: 0.5);
        var delta = ScaffoldControl.Delta(x, y, ci, next);

        Assert.Equal([1f, -1f, -2.5f], next);
        Assert.Equal([-1f, 1f, 0f, 0f, -1f, -0.5f], delta);
        Assert.Equal(ci, ScaffoldControl.NextClientControl(ci, c, x, y, steps: 0, learningRate: 0.5)); // no data, no step
        Assert.Equal([-0.5f, 0.5f, 2.5f], ScaffoldControl.Correction(c, ci));
    }

    [Fact]
    public void The_correction_is_refused_with_momentum_proximal_term_wrong_length_or_non_finite_values()
    {
        using var trainer = new LocalTrainer("logreg", [10], 4);
        var x = ModelFactory.InitialParameters("logreg", [10], 4, seed: 6);
        var settings = new TrainingSettings(1, 8, 0.1) { ControlCorrection = new float[x.Length] };

        Assert.Contains("Momentum", Assert.Throws<ArgumentException>(() => trainer.Train(x, Data, settings with { Momentum = 0.9 }, 1)).Message);
        Assert.Contains("ProximalMu", Assert.Throws<ArgumentException>(() => trainer.Train(x, Data, settings with { ProximalMu = 0.1 }, 1)).Message);
        Assert.Contains("ControlCorrection", Assert.Throws<ArgumentException>(() =>
            trainer.Train(x, Data, settings with { ControlCorrection = new float[x.Length + 1] }, 1)).Message);
        var nan = new float[x.Length];
        nan[3] = float.NaN;
        Assert.Contains("ControlCorrection[3]", Assert.Throws<ArgumentException>(() => trainer.Train(x, Data, settings with { ControlCorrection = nan }, 1)).Message);
    }

    // Full-batch gradient descent on the corrected gradient, written out with torch: the end point and the mean gradient g(y_k).
    private static (float[] End, float[] MeanGradient) Retrace(float[] x, float[] c, float[] ci, int steps, double lr)
    {
        using var model = ModelFactory.Create("mlp", [10], 4);
        using var scope = NewDisposeScope();
        var features = tensor(Data.Features, [Data.Count, 10]);
        var labels = tensor(Data.Labels.Select(l => (long)l).ToArray());
        var y = (float[])x.Clone();
        var sum = new double[x.Length];
        for (var k = 0; k < steps; k++)
        {
            ParameterVector.Set(model, y);
            model.zero_grad();
            nn.functional.cross_entropy(model.call(features), labels).backward();
            var gradient = cat(model.parameters().Select(p => p.grad!.flatten()).ToArray()).data<float>().ToArray();
            for (var i = 0; i < y.Length; i++)
            {
                sum[i] += gradient[i];
                y[i] = (float)(y[i] - lr * (gradient[i] - ci[i] + c[i]));
            }
        }
        return (y, sum.Select(s => (float)(s / steps)).ToArray());
    }
}
