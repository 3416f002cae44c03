using FlMicroservices.Core.Data;
using static TorchSharp.torch;

namespace FlMicroservices.Training;

/// <summary>Measures accuracy and cross-entropy of flat parameter vectors on a data set.</summary>
/// <remarks>Holds one reusable module, so an instance is not thread-safe: use one per thread.</remarks>
public sealed class Evaluator : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly int[] _sampleShape;
    private readonly int _classCount;

    public Evaluator(string modelName, int[] sampleShape, int classCount)
    {
        _model = ModelFactory.Create(modelName, sampleShape, classCount);
        _sampleShape = (int[])sampleShape.Clone();
        _classCount = classCount;
    }

    public EvalResult Evaluate(ReadOnlySpan<float> parameters, InMemoryDataset data, int batchSize = 1000)
    {
        ParameterVector.Set(_model, parameters);
        return Run(_model, _sampleShape, _classCount, data, batchSize);
    }

    /// <summary>Evaluates <paramref name="model"/> as it stands; batches bound memory, not the result.</summary>
    internal static EvalResult Run(nn.Module<Tensor, Tensor> model, int[] sampleShape, int classCount, InMemoryDataset data, int batchSize)
    {
        ModelInput.Check(sampleShape, classCount, data);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (data.Count == 0) return new EvalResult(double.NaN, double.NaN, 0);

        using var noGrad = no_grad();
        model.eval();
        try
        {
            var lossSum = 0.0;
            var correct = 0L;
            for (var start = 0; start < data.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var rows = Math.Min(batchSize, data.Count - start);
                var x = empty(ModelInput.BatchShape(sampleShape, rows), ScalarType.Float32);
                data.CopyRows(start, rows, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(x.bytes));
                var y = TensorCopy.Labels(data.Labels.AsSpan(start, rows));
                var logits = model.call(x);
                lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(y).sum().item<long>();
            }
            return new EvalResult((double)correct / data.Count, lossSum / data.Count, data.Count);
        }
        finally
        {
            model.train();
        }
    }

    public void Dispose() => _model.Dispose();
}
