using FlMicroservices.Contracts.V1;
using static System.FormattableString;

namespace FlMicroservices.Node.Privacy;

/// <summary>Whether a round's privacy settings are weaker than the ones a node pinned for the task (docs/security.md).</summary>
public static class PrivacyFloor
{
    /// <summary>What makes <paramref name="offered"/> weaker than <paramref name="pinned"/>, named; null when it is not weaker.</summary>
    public static string? Weakening(PrivacyConfig pinned, PrivacyConfig offered)
    {
        ArgumentNullException.ThrowIfNull(pinned);
        ArgumentNullException.ThrowIfNull(offered);
        if (pinned.IsSecureAggregation && offered.SecureAggregation != pinned.SecureAggregation)
            return Invariant($"secure aggregation {offered.SecureAggregation} instead of {pinned.SecureAggregation}");
        if (pinned.IsSecureAggregation && (offered.SecureAggregationThreshold ?? int.MaxValue) < (pinned.SecureAggregationThreshold ?? int.MaxValue))
            return Invariant($"secure aggregation threshold {offered.SecureAggregationThreshold} below {Show(pinned.SecureAggregationThreshold)}");
        if (!pinned.Enabled) return null;
        if (!offered.Enabled) return "differential privacy switched off";
        if (offered.Mechanism != pinned.Mechanism) return Invariant($"privacy mechanism {offered.Mechanism} instead of {pinned.Mechanism}");
        if (!(offered.NoiseMultiplier >= pinned.NoiseMultiplier)) return Invariant($"noise multiplier {offered.NoiseMultiplier} below {pinned.NoiseMultiplier}");
        if (!(offered.EpsilonBudget <= pinned.EpsilonBudget)) return Invariant($"epsilon budget {offered.EpsilonBudget} above {pinned.EpsilonBudget}");
        if (!(offered.Delta <= pinned.Delta)) return Invariant($"delta {offered.Delta} above {pinned.Delta}");
        // Local DP clips each example's gradient on the node: a larger clip norm means less noise per unit of signal.
        if (pinned.Mechanism == PrivacyMechanism.Local && !(offered.ClippingNorm <= pinned.ClippingNorm))
            return Invariant($"clipping norm {offered.ClippingNorm} above {pinned.ClippingNorm}");
        if (pinned.NoiseSeed is null && offered.NoiseSeed is not null) return "a noise seed (anyone who knows it can subtract the noise)";
        return null;
    }

    private static string Show(int? threshold) => threshold?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "the default (a strict majority)";
}
