using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlMicroservices.Training;

/// <summary>
/// SGD as torch.optim.SGD defines it (weight decay added to the gradient, then momentum without dampening),
/// plus FedProx's proximal gradient mu * (w - w_global) and SCAFFOLD's control correction c - c_i, for one call of local training.
/// </summary>
/// <remarks>
/// Used instead of torch.optim.SGD because TorchSharp frees a Scalar in its finalizer and does not keep a
/// Scalar converted implicitly at a call site alive across the native call: with other threads allocating (trainers
/// run side by side) a collection can free the learning rate while libtorch reads it. Here every Scalar lives as
/// long as the optimiser. Momentum buffers start at the first step's gradient, as in torch.
/// </remarks>
internal sealed class LocalSgd : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[]? _anchors;
    private readonly Tensor[]? _velocity;
    private readonly Tensor[]? _corrections;
    private readonly Scalar _minusLearningRate;
    private readonly Scalar? _weightDecay;
    private readonly Scalar? _momentum;
    private readonly Scalar? _mu;
    private readonly Scalar? _minusMu;
    private bool _started;

    /// <summary>Snapshots the parameters as they are now: they are FedProx's anchor, w_global.</summary>
    public LocalSgd(Parameter[] parameters, TrainingSettings settings)
    {
        _parameters = parameters;
        _minusLearningRate = (-settings.LearningRate).ToScalar();
        if (settings.WeightDecay > 0) _weightDecay = settings.WeightDecay.ToScalar();
        if (settings.Momentum > 0)
        {
            _momentum = settings.Momentum.ToScalar();
            _velocity = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        }
        if (settings.ProximalMu > 0)
        {
            _mu = settings.ProximalMu.ToScalar();
            _minusMu = (-settings.ProximalMu).ToScalar();
            _anchors = parameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
        }
        if (settings.ControlCorrection is { } correction)
        {
            var total = parameters.Sum(p => p.numel());
            if (correction.Length != total)
                throw new ArgumentException($"ControlCorrection holds {correction.Length} values for {total} parameters.", nameof(settings));
            // One tensor per parameter, shaped like it, cut from the flat vector in parameters() order (ParameterVector's).
            _corrections = new Tensor[parameters.Length];
            long offset = 0;
            for (var i = 0; i < parameters.Length; i++)
            {
                var size = parameters[i].numel();
                _corrections[i] = TensorCopy.FromSpan(correction.AsSpan((int)offset, (int)size), parameters[i].shape).DetachFromDisposeScope();
                offset += size;
            }
        }
    }

    /// <summary>Updates every parameter from the gradients the last backward pass left on them.</summary>
    public void Step() => Step(null);

    /// <summary>
    /// Updates every parameter from <paramref name="gradients"/> (one per parameter, in order; DP-SGD's privatized ones)
    /// instead of the ones a backward pass left. The tensors are changed in place (weight decay and the proximal term are
    /// added to them).
    /// </summary>
    public void Step(IReadOnlyList<Tensor>? gradients)
    {
        if (gradients is not null && gradients.Count != _parameters.Length)
            throw new ArgumentException($"{gradients.Count} gradients were given for {_parameters.Length} parameters.", nameof(gradients));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var i = 0; i < _parameters.Length; i++)
        {
            var parameter = _parameters[i];
            var grad = gradients is null ? parameter.grad : gradients[i];
            if (grad is null)
            {
                if (_corrections is null) continue;
                grad = zeros_like(parameter); // SCAFFOLD corrects a parameter the loss does not reach as well
            }
            if (_corrections is not null) grad.add_(_corrections[i]);
            if (_weightDecay is not null) grad.add_(parameter, alpha: _weightDecay);
            if (_anchors is not null) grad.add_(parameter, alpha: _mu!).add_(_anchors[i], alpha: _minusMu!);
            var direction = grad;
            if (_velocity is not null)
            {
                if (_started) _velocity[i].mul_(_momentum!).add_(grad);
                else _velocity[i].copy_(grad);
                direction = _velocity[i];
            }
            parameter.add_(direction, alpha: _minusLearningRate);
        }
        _started = true;
    }

    public void Dispose()
    {
        foreach (var t in _velocity ?? []) t.Dispose();
        foreach (var t in _anchors ?? []) t.Dispose();
        foreach (var t in _corrections ?? []) t.Dispose();
        _minusLearningRate.Dispose();
        _weightDecay?.Dispose();
        _momentum?.Dispose();
        _mu?.Dispose();
        _minusMu?.Dispose();
    }
}
