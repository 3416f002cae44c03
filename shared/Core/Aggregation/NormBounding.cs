using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Planning;

namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// Norm bounding (update clipping) around any strategy: each client's whole update is scaled by
/// min(1, maxNorm / ||delta||) before the inner strategy sees it, which caps how far one client can pull the model
/// (Sun et al. 2019, "Can You Really Backdoor Federated Learning?"; the same clipping precedes the noise in DP-FedAvg).
/// </summary>
/// <remarks>Design notes: docs/aggregation.md, "Notes: NormBounding".</remarks>
public sealed class NormBounding : IAggregationStrategy, IRoundConfigurator
{
    /// <param name="inner">The strategy that aggregates the bounded updates.</param>
    /// <param name="maxNorm">The largest L2 norm an update keeps; finite and greater than 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not a finite positive number.</exception>
    public NormBounding(IAggregationStrategy inner, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
        MaxNorm = StrategyArgument.Positive(maxNorm, nameof(maxNorm));
    }

    /// <summary>"max-norm": the task parameter that switches bounding on.</summary>
    public const string Parameter = "max-norm";

    public IAggregationStrategy Inner { get; }
    public double MaxNorm { get; }
    public string Name => Inner.Name;

    /// <summary>The inner strategy's plan; bounding scales each update by its whole norm.</summary>
    public RoundSettings Configure(RoundSettings settings, RoundContext round) =>
        (Inner is IRoundConfigurator inner ? inner.Configure(settings, round) : settings) with { WholeUpdateNorms = true };

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sliceElements);
        return new Round(Inner.BeginRound(parameterCount, sliceElements), MaxNorm, parameterCount, sliceElements);
    }

    /// <summary>The factor an update of L2 norm <paramref name="norm"/> is scaled by: min(1, maxNorm / norm).</summary>
    public static double ScaleFor(double norm, double maxNorm) => norm > maxNorm ? maxNorm / norm : 1.0;

    /// <summary>The L2 norm the fallback path measures; supply norms computed with it to get identical results on both paths.</summary>
    /// <remarks>
    /// Squares are exact in double and summed into eight partial sums (element i into sum i mod 8), which are combined in a
    /// fixed order: the result depends only on the values, not on the hardware's vector width or the memory alignment.
    /// </remarks>
    public static double L2Norm(ReadOnlySpan<float> update)
    {
        var low = Vector256<double>.Zero; // elements i mod 8 = 0..3
        var high = Vector256<double>.Zero; // elements i mod 8 = 4..7
        var i = 0;
        for (; i + 8 <= update.Length; i += 8)
        {
            var (lower, upper) = Vector256.Widen(Vector256.Create(update.Slice(i, 8)));
            low += lower * lower;
            high += upper * upper;
        }
        var lanes = low + high;
        var sum = lanes.GetElement(0) + lanes.GetElement(1) + lanes.GetElement(2) + lanes.GetElement(3);
        for (; i < update.Length; i++)
            sum += (double)update[i] * update[i];
        return Math.Sqrt(sum);
    }

    private sealed class Round : IRoundAggregator, IClientNormAware, IRetractableRound
    {
        private readonly IRoundAggregator _inner;
        private readonly NormGate _gate;
        private bool _finished;

        public Round(IRoundAggregator inner, double maxNorm, int parameterCount, int sliceElements)
        {
            _inner = inner;
            _gate = new NormGate(maxNorm, parameterCount, sliceElements, inner.Fold);
        }

        public int FoldedSlices { get; private set; }

        public void Fold(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight)
        {
            if (_finished) throw new InvalidOperationException("This round has finished; it takes no more updates.");
            _gate.Take(clientId, sliceIndex, delta, weight);
            FoldedSlices++;
        }

        public void SetClientNorm(string clientId, double norm) => _gate.SetClientNorm(clientId, norm);

        public void Retract(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight)
        {
            if (_finished) throw new InvalidOperationException("This round has finished; nothing can be taken back.");
            if (_inner is not IRetractableRound inner)
                throw new InvalidOperationException("The bounded strategy's rounds cannot take a slice back.");
            _gate.Retract(clientId, sliceIndex, delta, weight, inner.Retract);
            FoldedSlices--;
        }

        public void Finish(ReadOnlySpan<float> global, Span<float> result)
        {
            if (!_finished)
            {
                // Clients still incomplete: bound what they delivered by its own norm.
                _gate.ReleaseAll();
                _finished = true;
            }
            _inner.Finish(global, result);
        }
    }
}
