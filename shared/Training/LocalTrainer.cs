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
/// federated client does each round, and depends only on its arguments: the same seed gives the same bits. The data set
/// is never copied whole: each step gathers its batch's rows into one batch tensor the trainer keeps (see docs/benchmarks.md).
/// </remarks>
public sealed class LocalTrainer : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Parameter[] _parameters;
    private readonly int[] _sampleShape;
    private Tensor? _batchFeatures; // [batch size, sample shape...], reused by every step: torch memory, always equally aligned
    private Tensor? _batchLabels;
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
        var batchSize = Math.Min(settings.BatchSize, count);
        var (batchFeatures, batchLabels) = BatchTensors(batchSize);
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
            // A shuffle by index: each batch gathers the rows the permutation names into the trainer's batch tensor (the same
            // rows, in the same order and at the same alignment, as a view of a shuffled copy of the data set would give).
            long[] order;
            using (var permutation = randperm(count, generator: generator)) order = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(permutation.bytes).ToArray();
            epochLoss = 0.0;
            for (var start = 0; start < count; start += settings.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var stepScope = NewDisposeScope();
                var rows = Math.Min(settings.BatchSize, count - start);
                Gather(data, order.AsSpan(start, rows), batchFeatures, batchLabels);
                var x = rows == batchSize ? batchFeatures : batchFeatures.narrow(0, 0, rows);
                var y = rows == batchSize ? batchLabels : batchLabels.narrow(0, 0, rows);
                if (dp is null)
                {
                    _model.zero_grad();
                    var logits = _model.call(x);
                    var loss = nn.functional.cross_entropy(logits, y);
                    loss.backward();
                    sgd.Step();
                    epochLoss += loss.item<float>() * (double)rows;
                }
                else
                {
                    epochLoss += DpSgdStep(sgd, dp, noise, noiseBuffer, x, y, rows);
                }
                steps++;
            }
        }
        return new TrainResult(ParameterVector.Get(_model), count, epochLoss / count, steps);
    }

    // The trainer's batch tensors for batches of up to batchSize rows, made on first use and again only for a larger batch.
    private (Tensor Features, Tensor Labels) BatchTensors(int batchSize)
    {
        if (_batchFeatures is null || _batchFeatures.shape[0] != batchSize)
        {
            _batchFeatures?.Dispose();
            _batchLabels?.Dispose();
            _batchFeatures = empty(ModelInput.BatchShape(_sampleShape, batchSize), ScalarType.Float32).DetachFromDisposeScope();
            _batchLabels = empty(batchSize, ScalarType.Int64).DetachFromDisposeScope();
        }
        return (_batchFeatures, _batchLabels!);
    }

    // Copies the rows named by order (and their labels) to the front of the batch tensors.
    private static void Gather(InMemoryDataset data, ReadOnlySpan<long> order, Tensor features, Tensor labels)
    {
        var width = data.FeatureCount;
        var rows = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(features.bytes);
        var targets = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(labels.bytes);
        for (var r = 0; r < order.Length; r++)
        {
            var i = (int)order[r];
            data.CopyRow(i, rows.Slice(r * width, width));
            targets[r] = data.Labels[i];
        }
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
        _batchFeatures?.Dispose();
        _batchLabels?.Dispose();
        _model.Dispose();
    }
}
