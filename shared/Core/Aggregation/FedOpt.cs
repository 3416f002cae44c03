using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// Adaptive federated optimization (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2): the server
/// treats the round's weighted mean delta as a pseudo-gradient and applies Adagrad, Adam or Yogi to it.
/// </summary>
/// <remarks>Design notes: docs/aggregation.md, "Notes: FedOpt".</remarks>
public abstract class FedOpt : IAggregationStrategy, ICheckpointable
{
    public const double DefaultEta = 0.1;
    public const double DefaultBeta1 = 0.9;
    public const double DefaultBeta2 = 0.99;
    public const double DefaultTau = 1e-9;

    private readonly string _displayName;
    private float[]? _m;
    private float[]? _v;

    private protected FedOpt(string displayName, double eta, double beta1, double beta2, double tau)
    {
        _displayName = displayName;
        Eta = StrategyArgument.Positive(eta, nameof(eta));
        Beta1 = StrategyArgument.DecayRate(beta1, nameof(beta1));
        Beta2Value = StrategyArgument.DecayRate(beta2, nameof(beta2));
        Tau = StrategyArgument.Positive(tau, nameof(tau));
    }

    public abstract string Name { get; }

    /// <summary>Server learning rate eta.</summary>
    public double Eta { get; }

    /// <summary>First-moment (momentum) decay beta1.</summary>
    public double Beta1 { get; }

    /// <summary>Adaptivity tau: added to sqrt(v), and v starts at tau^2.</summary>
    public double Tau { get; }

    /// <summary>The first moment m after the last finished round (empty before the first).</summary>
    public ReadOnlySpan<float> FirstMoment => _m;

    /// <summary>The second moment v after the last finished round (empty before the first).</summary>
    public ReadOnlySpan<float> SecondMoment => _v;

    private protected double Beta2Value { get; }

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements)
    {
        ServerState.CheckSize(_m, parameterCount, _displayName);
        return new MeanDeltaRound(_displayName, parameterCount, sliceElements, Step);
    }

    public void WriteCheckpoint(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_displayName);
        CheckpointFormat.WriteOptionalFloats(writer, _m);
        CheckpointFormat.WriteOptionalFloats(writer, _v);
    }

    public void ReadCheckpoint(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        CheckpointFormat.ExpectTag(reader, _displayName);
        var m = CheckpointFormat.ReadOptionalFloats(reader, $"{_displayName} first moment");
        var v = CheckpointFormat.ReadOptionalFloats(reader, $"{_displayName} second moment");
        if ((m is null) != (v is null) || (m is not null && m.Length != v!.Length))
            throw new InvalidDataException($"Checkpoint of {_displayName} holds moments of different sizes.");
        (_m, _v) = (m, v);
    }

    private void Step(ReadOnlySpan<float> global, Span<float> meanDeltaThenModel)
    {
        var m = ServerState.Get(ref _m, global.Length, 0f, _displayName);
        var v = ServerState.Get(ref _v, global.Length, (float)(Tau * Tau), _displayName);
        Apply(global, meanDeltaThenModel, m, v);
    }

    /// <summary>The variant's step: calls <see cref="ApplyRule{TRule}"/> with its second-moment rule.</summary>
    private protected abstract void Apply(ReadOnlySpan<float> global, Span<float> deltaThenModel, Span<float> m, Span<float> v);

    /// <summary>How a variant updates v from v and Delta^2 (static, so the step loop is specialised per variant).</summary>
    private protected interface ISecondMomentRule
    {
        static abstract Vector<float> Next(Vector<float> v, Vector<float> squared, Vector<float> beta2, Vector<float> oneMinusBeta2);
        static abstract float Next(float v, float squared, float beta2, float oneMinusBeta2);
    }

    /// <summary>One pass over the model: m, v and x for every parameter.</summary>
    private protected void ApplyRule<TRule>(ReadOnlySpan<float> global, Span<float> deltaThenModel, Span<float> m, Span<float> v)
        where TRule : struct, ISecondMomentRule
    {
        var beta1 = (float)Beta1;
        var oneMinusBeta1 = (float)(1 - Beta1);
        var beta2 = (float)Beta2Value;
        var oneMinusBeta2 = (float)(1 - Beta2Value);
        var eta = (float)Eta;
        var tau = (float)Tau;

        ref var x = ref MemoryMarshal.GetReference(global);
        ref var d = ref MemoryMarshal.GetReference(deltaThenModel);
        ref var mr = ref MemoryMarshal.GetReference(m);
        ref var vr = ref MemoryMarshal.GetReference(v);
        var n = (nuint)global.Length;
        nuint i = 0;
        if (Vector.IsHardwareAccelerated && n >= (nuint)Vector<float>.Count)
        {
            var b1 = new Vector<float>(beta1);
            var c1 = new Vector<float>(oneMinusBeta1);
            var b2 = new Vector<float>(beta2);
            var c2 = new Vector<float>(oneMinusBeta2);
            var e = new Vector<float>(eta);
            var t = new Vector<float>(tau);
            for (; i + (nuint)Vector<float>.Count <= n; i += (nuint)Vector<float>.Count)
            {
                var delta = Vector.LoadUnsafe(ref d, i);
                var mNext = b1 * Vector.LoadUnsafe(ref mr, i) + c1 * delta;
                var vNext = TRule.Next(Vector.LoadUnsafe(ref vr, i), delta * delta, b2, c2);
                mNext.StoreUnsafe(ref mr, i);
                vNext.StoreUnsafe(ref vr, i);
                (Vector.LoadUnsafe(ref x, i) + e * (mNext / (Vector.SquareRoot(vNext) + t))).StoreUnsafe(ref d, i);
            }
        }
        for (; i < n; i++)
        {
            var delta = Unsafe.Add(ref d, i);
            var mNext = beta1 * Unsafe.Add(ref mr, i) + oneMinusBeta1 * delta;
            var vNext = TRule.Next(Unsafe.Add(ref vr, i), delta * delta, beta2, oneMinusBeta2);
            Unsafe.Add(ref mr, i) = mNext;
            Unsafe.Add(ref vr, i) = vNext;
            Unsafe.Add(ref d, i) = Unsafe.Add(ref x, i) + eta * (mNext / (MathF.Sqrt(vNext) + tau));
        }
    }
}
