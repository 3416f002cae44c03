using FlMicroservices.Core.Data;
using FlMicroservices.Core.Privacy.Dp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlMicroservices.Training;

/// <summary>A client's local training: mini-batch SGD on cross-entropy from the global model's parameters (DP-SGD with <see cref="TrainingSettings.DpSgd"/>).</summary>
/// <remarks>
/// Building a TorchSharp module is slow, so a trainer keeps one and loads the given parameters into it on every
/// call; keep trainers and reuse them. A trainer is not thread-safe: run one call at a time on it, and run
/// trainers side by side for parallelism. Each call starts with fresh optimiser state (momentum buffers), as a
/// federated client does each round, and depends only on its arguments: the same seed gives the same bits.
/// </remarks>
public sealed class LocalTrainer : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Parameter[] _parameters;
    private readonly int[] _sampleShape;
    private bool _disposed;

    public LocalTrainer(string modelName, int[] sampleShape, int classCount)
    {
        _model = ModelFactory.Create(modelName, sampleShape, classCount);
        _parameters = _model.parameters().ToArray();
        _sampleShape = (int[])sampleShape.Clone();
        ModelName = modelName;
        ClassCount = classCount;
        ParameterCount = ParameterVector.Count(_model);
    }

    public string ModelName { get; }
    public IReadOnlyList<int> SampleShape => _sampleShape;
    public int ClassCount { get; }
    public int ParameterCount { get; }

    /// <summary>Trains from <paramref name="globalParameters"/> (left unchanged) on <paramref name="data"/>.</summary>
    /// <param name="seed">Decides the order of examples in every epoch; nothing else is random.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; checked before every step.</exception>
    public TrainResult Train(ReadOnlySpan<float> globalParameters, InMemoryDataset data, TrainingSettings settings, int seed,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        ModelInput.Check(_sampleShape, ClassCount, data);
        CheckLength(globalParameters);
        if (settings.ControlCorrection is { } correction && correction.Length != ParameterCount)
            throw new ArgumentException($"The {ModelName} model has {ParameterCount} parameters but ControlCorrection holds {correction.Length} values.", nameof(settings));
        TorchRuntime.EnsureInitialized(settings.TorchThreads);
        cancellationToken.ThrowIfCancellationRequested();
        if (data.Count == 0) return new TrainResult(globalParameters.ToArray(), 0, double.NaN, 0);

        using var scope = NewDisposeScope();
        ParameterVector.Set(_model, globalParameters);
        using var sgd = new LocalSgd(_parameters, settings);
        var count = data.Count;
        var features = TensorCopy.FromSpan(data.Features, ModelInput.BatchShape(_sampleShape, count));
        var labels = TensorCopy.Labels(data.Labels);
        using var generator = new Generator(unchecked((ulong)seed));
        _model.train();
        var dp = settings.DpSgd;
        using var noise = dp is { NoiseMultiplier: > 0 }
            ? dp.NoiseSeed is { } noiseSeed ? GaussianNoise.FromSeed(noiseSeed, "dp-sgd") : GaussianNoise.CreateSecure()
            : null;
        var noiseBuffer = noise is null ? null : new float[ParameterCount];

        var steps = 0;
        var epochLoss = 0.0;
        for (var epoch = 0; epoch < settings.Epochs; epoch++)
        {
            using var epochScope = NewDisposeScope();
            // One shuffled copy per epoch lets every batch be a view (narrow) instead of a gather.
            var order = randperm(count, generator: generator);
            var shuffledFeatures = features.index_select(0, order);
            var shuffledLabels = labels.index_select(0, order);
            epochLoss = 0.0;
            for (var start = 0; start < count; start += settings.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var stepScope = NewDisposeScope();
                var rows = Math.Min(settings.BatchSize, count - start);
                if (dp is null)
                {
                    _model.zero_grad();
                    var logits = _model.call(shuffledFeatures.narrow(0, start, rows));
                    var loss = nn.functional.cross_entropy(logits, shuffledLabels.narrow(0, start, rows));
                    loss.backward();
                    sgd.Step();
                    epochLoss += loss.item<float>() * (double)rows;
                }
                else
                {
                    epochLoss += DpSgdStep(sgd, dp, noise, noiseBuffer, shuffledFeatures.narrow(0, start, rows), shuffledLabels.narrow(0, start, rows), rows);
                }
                steps++;
            }
        }
        return new TrainResult(ParameterVector.Get(_model), count, epochLoss / count, steps);
    }

    /// <summary>
    /// One DP-SGD step (Abadi et al. 2016, Algorithm 1): the per-example gradients clipped to C and summed
    /// (<see cref="PerSampleGradients"/>), plus N(0, σ²C²) on every coordinate, divided by the batch size; then the usual SGD
    /// update (weight decay, the proximal term and momentum act on the privatized gradient, as post-processing).
    /// </summary>
    /// <returns>The batch's summed loss, for the epoch's mean.</returns>
    private double DpSgdStep(LocalSgd sgd, DpSgdSettings dp, GaussianNoise? noise, float[]? noiseBuffer, Tensor features, Tensor labels, int rows)
    {
        var (sums, _, lossSum) = PerSampleGradients.Compute(_model, _parameters, features, labels, dp.ClipNorm, dp.Mode);
        if (noise is not null)
        {
            noise.Fill(noiseBuffer, dp.NoiseMultiplier * dp.ClipNorm);
            var noiseVector = TensorCopy.FromSpan(noiseBuffer, [noiseBuffer!.Length]);
            long offset = 0;
            foreach (var sum in sums)
            {
                var size = sum.numel();
                sum.add_(noiseVector.narrow(0, offset, size).view(sum.shape));
                offset += size;
            }
        }
        var inverseBatch = tensor(1f / rows);
        foreach (var sum in sums) sum.mul_(inverseBatch);
        sgd.Step(sums);
        return lossSum;
    }

    /// <summary>Evaluates <paramref name="parameters"/> with this trainer's module.</summary>
    public EvalResult Evaluate(ReadOnlySpan<float> parameters, InMemoryDataset data, int batchSize = 1000)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckLength(parameters);
        ParameterVector.Set(_model, parameters);
        return Evaluator.Run(_model, _sampleShape, ClassCount, data, batchSize);
    }

    private void CheckLength(ReadOnlySpan<float> parameters)
    {
        if (parameters.Length != ParameterCount)
            throw new ArgumentException($"The {ModelName} model has {ParameterCount} parameters but {parameters.Length} values were given.", nameof(parameters));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _model.Dispose();
    }
}
