using System.Numerics;

namespace FlMicroservices.Core.Aggregation;

/// <summary>FedAdagrad (Reddi et al. 2021, Algorithm 2): v = v + Delta^2, so each parameter's step shrinks with its accumulated movement.</summary>
/// <remarks>See <see cref="FedOpt"/> for m, the step and the state. Adagrad has no beta2.</remarks>
public sealed class FedAdagrad : FedOpt
{
    /// <exception cref="ArgumentOutOfRangeException">eta or tau not finite and positive, or beta1 outside [0, 1).</exception>
    public FedAdagrad(double eta = DefaultEta, double beta1 = DefaultBeta1, double tau = DefaultTau)
        : base("FedAdagrad", eta, beta1, 0, tau)
    {
    }

    public override string Name => "fedadagrad";

    private protected override void Apply(ReadOnlySpan<float> global, Span<float> deltaThenModel, Span<float> m, Span<float> v) =>
        ApplyRule<Rule>(global, deltaThenModel, m, v);

    private readonly struct Rule : ISecondMomentRule
    {
        public static Vector<float> Next(Vector<float> v, Vector<float> squared, Vector<float> beta2, Vector<float> oneMinusBeta2) => v + squared;
        public static float Next(float v, float squared, float beta2, float oneMinusBeta2) => v + squared;
    }
}
