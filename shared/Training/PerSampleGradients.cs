using FlMicroservices.Core.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlMicroservices.Training;

/// <summary>
/// The clipped sum Σᵢ gᵢ·min(1, C/‖gᵢ‖) of per-example cross-entropy gradients gᵢ over a batch: the data-dependent part of
/// a DP-SGD step (Abadi et al. 2016). The norm ‖gᵢ‖ is over all of the model's parameters together.
/// </summary>
/// <remarks>Design notes: docs/privacy.md, "Notes: PerSampleGradients".</remarks>
public static class PerSampleGradients
{
    /// <summary>True when <paramref name="model"/> is a sequence of Linear, ReLU and Flatten layers (the vectorised path applies).</summary>
    public static bool CanVectorise(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is not Sequential sequential) return false;
        var linear = 0;
        foreach (var child in sequential.children())
        {
            if (child is Linear) linear++;
            else if (child is not (ReLU or Flatten)) return false;
        }
        return linear > 0;
    }

    /// <summary>
    /// The clipped gradient sum over <paramref name="batch"/> as one flat vector (in <see cref="ParameterVector"/> order), with
    /// each example's gradient norm before clipping. The model's parameters are not changed.
    /// </summary>
    /// <param name="clipNorm">C &gt; 0; +∞ sums the gradients unclipped.</param>
    public static float[] ClippedGradientSum(nn.Module<Tensor, Tensor> model, InMemoryDataset batch, double clipNorm, PerSampleGradientMode mode,
        out float[] norms)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        if (!(clipNorm > 0)) throw new ArgumentOutOfRangeException(nameof(clipNorm), clipNorm, "The clip norm must be greater than 0.");
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        var features = empty(ModelInput.BatchShape(batch.Shape, batch.Count), ScalarType.Float32);
        batch.CopyRows(0, batch.Count, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(features.bytes));
        var labels = TensorCopy.Labels(batch.Labels);
        var parameters = model.parameters().ToArray();
        var result = Compute(model, parameters, features, labels, clipNorm, mode);
        norms = result.Norms;
        return TensorCopy.ToArray(cat(result.Sums.Select(s => s.flatten()).ToArray()));
    }

    /// <summary>The clipped sums, one tensor per parameter (in <paramref name="parameters"/> order), the norms and the summed loss.</summary>
    /// <remarks>The tensors belong to the caller's dispose scope.</remarks>
    internal static (Tensor[] Sums, float[] Norms, double LossSum) Compute(nn.Module<Tensor, Tensor> model, Parameter[] parameters,
        Tensor features, Tensor labels, double clipNorm, PerSampleGradientMode mode)
    {
        var vectorise = mode switch
        {
            PerSampleGradientMode.Auto => CanVectorise(model),
            PerSampleGradientMode.Vectorised => CanVectorise(model)
                ? true
                : throw new ArgumentException("Vectorised per-example gradients need a model of Linear, ReLU and Flatten layers only.", nameof(mode)),
            PerSampleGradientMode.MicroBatch => false,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown per-example gradient mode."),
        };
        return vectorise
            ? Vectorised((Sequential)model, parameters, features, labels, clipNorm)
            : MicroBatches(model, parameters, features, labels, clipNorm);
    }

    /// <summary>cᵢ = min(1, C/‖gᵢ‖) (1 for a zero gradient or an infinite C).</summary>
    private static float[] ClipFactors(ReadOnlySpan<float> norms, double clipNorm)
    {
        var factors = new float[norms.Length];
        for (var i = 0; i < norms.Length; i++) factors[i] = norms[i] > clipNorm ? (float)(clipNorm / norms[i]) : 1f;
        return factors;
    }

    private static (Tensor[], float[], double) Vectorised(Sequential model, Parameter[] parameters, Tensor features, Tensor labels, double clipNorm)
    {
        var inputs = new List<Tensor>();
        var outputs = new List<Tensor>();
        var layers = new List<Linear>();
        var x = features;
        foreach (var child in model.children())
        {
            if (child is Linear linear)
            {
                var input = x.dim() > 2 ? x.flatten(1) : x;
                x = linear.call(input);
                inputs.Add(input);
                outputs.Add(x);
                layers.Add(linear);
            }
            else x = ((nn.Module<Tensor, Tensor>)child).call(x);
        }
        var loss = nn.functional.cross_entropy(x, labels, reduction: nn.Reduction.Sum);
        var lossSum = loss.item<float>();
        var outputGradients = autograd.grad([loss], outputs);

        using var noGrad = no_grad();
        // ‖∂ℓᵢ/∂θ‖² = Σ_layers ‖gᵢ‖²·(‖aᵢ‖² + 1 if the layer has a bias).
        Tensor? squares = null;
        for (var l = 0; l < layers.Count; l++)
        {
            var gradientSquares = outputGradients[l].square().sum(1L);
            var inputSquares = inputs[l].detach().square().sum(1L);
            var layer = layers[l].bias is null ? gradientSquares.mul(inputSquares) : gradientSquares.mul(inputSquares.add(ones_like(inputSquares)));
            squares = squares is null ? layer : squares.add(layer);
        }
        var norms = TensorCopy.ToArray(squares!.sqrt());
        var factors = TensorCopy.FromSpan(ClipFactors(norms, clipNorm), [norms.Length, 1]);

        var sums = new List<Tensor>(parameters.Length);
        for (var l = 0; l < layers.Count; l++)
        {
            var scaled = outputGradients[l].mul(factors);
            sums.Add(scaled.t().matmul(inputs[l].detach()));
            if (layers[l].bias is not null) sums.Add(scaled.sum(0L));
        }
        CheckShapes(sums, parameters);
        return ([.. sums], norms, lossSum);
    }

    private static (Tensor[], float[], double) MicroBatches(nn.Module<Tensor, Tensor> model, Parameter[] parameters, Tensor features, Tensor labels, double clipNorm)
    {
        var rows = (int)features.shape[0];
        var sums = parameters.Select(p => zeros_like(p)).ToArray();
        var targets = parameters.Cast<Tensor>().ToList();
        var norms = new float[rows];
        var lossSum = 0.0;
        for (var i = 0; i < rows; i++)
        {
            using var exampleScope = NewDisposeScope();
            var loss = nn.functional.cross_entropy(model.call(features.narrow(0, i, 1)), labels.narrow(0, i, 1));
            lossSum += loss.item<float>();
            var gradients = autograd.grad([loss], targets);
            using var noGrad = no_grad();
            var squares = 0.0;
            foreach (var gradient in gradients) squares += gradient.square().sum().item<float>();
            norms[i] = (float)Math.Sqrt(squares);
            var factor = tensor(norms[i] > clipNorm ? (float)(clipNorm / norms[i]) : 1f);
            for (var k = 0; k < sums.Length; k++) sums[k].add_(gradients[k].mul(factor));
        }
        return (sums, norms, lossSum);
    }

    private static void CheckShapes(IReadOnlyList<Tensor> sums, Parameter[] parameters)
    {
        if (sums.Count != parameters.Length)
            throw new InvalidOperationException($"The vectorised path produced {sums.Count} gradients for {parameters.Length} parameters.");
        for (var k = 0; k < sums.Count; k++)
            if (!sums[k].shape.SequenceEqual(parameters[k].shape))
                throw new InvalidOperationException(
                    $"Gradient {k} has shape [{string.Join(", ", sums[k].shape)}] but its parameter has [{string.Join(", ", parameters[k].shape)}].");
    }
}
