using System.Numerics;

namespace FlMicroservices.Core.Aggregation;

/// <summary>FedAdam (Reddi et al. 2021, Algorithm 2): v = beta2 * v + (1 - beta2) * Delta^2, an exponential average of Delta^2.</summary>
/// <remarks>See <see cref="FedOpt"/> for m, the step and the state. No bias correction, as in the paper.</remarks>
public sealed class FedAdam : FedOpt
{
    /// <exception cref="ArgumentOutOfRangeException">eta or tau not finite and positive, or beta1 or beta2 outside [0, 1).</exception>
    public FedAdam(double eta = DefaultEta, double beta1 = DefaultBeta1, double beta2 = DefaultBeta2, double tau = DefaultTau)
        : base("FedAdam", eta, beta1, beta2, tau)
    {
    }

    public override string Name => "fedadam";

    /// <summary>Second-moment decay beta2.</summary>
    public double Beta2 => Beta2Value;

    private protected override void Apply(ReadOnlySpan<float> global, Span<float> deltaThenModel, Span<float> m, Span<float> v) =>
        ApplyRule<Rule>(global, deltaThenModel, m, v);

    private readonly struct Rule : ISecondMomentRule
    {
        public static Vector<float> Next(Vector<float> v, Vector<float> squared, Vector<float> beta2, Vector<float> oneMinusBeta2) =>
            beta2 * v + oneMinusBeta2 * squared;

        public static float Next(float v, float squared, float beta2, float oneMinusBeta2) => beta2 * v + oneMinusBeta2 * squared;
    }
}
