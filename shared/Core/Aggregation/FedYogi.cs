using System.Numerics;

namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// FedYogi (Reddi et al. 2021, Algorithm 2, after Zaheer et al. 2018): v = v - (1 - beta2) * Delta^2 * sign(v - Delta^2).
/// v moves towards Delta^2 by an additive step instead of Adam's multiplicative decay, so it grows or shrinks more gently.
/// </summary>
/// <remarks>See <see cref="FedOpt"/> for m, the step and the state. sign(0) = 0: where v equals Delta^2, v stays.</remarks>
public sealed class FedYogi : FedOpt
{
    /// <exception cref="ArgumentOutOfRangeException">eta or tau not finite and positive, or beta1 or beta2 outside [0, 1).</exception>
    public FedYogi(double eta = DefaultEta, double beta1 = DefaultBeta1, double beta2 = DefaultBeta2, double tau = DefaultTau)
        : base("FedYogi", eta, beta1, beta2, tau)
    {
    }

    public override string Name => "fedyogi";

    /// <summary>Second-moment rate beta2.</summary>
    public double Beta2 => Beta2Value;

    private protected override void Apply(ReadOnlySpan<float> global, Span<float> deltaThenModel, Span<float> m, Span<float> v) =>
        ApplyRule<Rule>(global, deltaThenModel, m, v);

    private readonly struct Rule : ISecondMomentRule
    {
        public static Vector<float> Next(Vector<float> v, Vector<float> squared, Vector<float> beta2, Vector<float> oneMinusBeta2)
        {
            var difference = v - squared;
            var step = oneMinusBeta2 * squared;
            var grown = Vector.ConditionalSelect(Vector.LessThan(difference, Vector<float>.Zero), v + step, v);
            return Vector.ConditionalSelect(Vector.GreaterThan(difference, Vector<float>.Zero), v - step, grown);
        }

        public static float Next(float v, float squared, float beta2, float oneMinusBeta2)
        {
            var difference = v - squared;
            var step = oneMinusBeta2 * squared;
            return difference > 0 ? v - step : difference < 0 ? v + step : v;
        }
    }
}
