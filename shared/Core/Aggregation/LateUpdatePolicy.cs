using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation.Robust;
using FlMicroservices.Core.Async;

namespace FlMicroservices.Core.Aggregation;

/// <summary>What a synchronous round does with an update that arrives after it closed: drop it, or fold it into the next round (docs/selection.md, "Late updates").</summary>
public static class LateUpdatePolicy
{
    public const string Drop = "drop";
    public const string Fold = "fold";

    public static readonly string[] Names = [Drop, Fold];

    /// <summary>How many versions behind a folded update is: it was trained on round r's model and lands in round r + 1.</summary>
    public const int FoldStaleness = 1;

    /// <summary>The staleness weighting a folded update is discounted by: FedBuff's default, 1/sqrt(1 + s).</summary>
    public static IStalenessWeighting Weighting { get; } = new PolynomialStaleness();

    public static bool IsKnown(string? name) => name is not null && Names.Contains(name);

    /// <summary>True when the round plan folds late updates into the next round.</summary>
    public static bool Folds(RoundSettings? settings) => settings?.LateUpdates == Fold;

    /// <summary>
    /// The whole-number weight a late update of <paramref name="exampleCount"/> examples is folded with: its examples times the staleness
    /// factor for one round, rounded to the nearest whole number (the exact sums take whole weights), at least 1.
    /// </summary>
    public static int FoldedWeight(int exampleCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(exampleCount, 1);
        return Math.Max(1, (int)Math.Round(exampleCount * Weighting.Weight(FoldStaleness), MidpointRounding.AwayFromZero));
    }

    /// <summary>Why <see cref="Fold"/> cannot be sound with these task settings (empty when it can, or when the policy drops).</summary>
    public static IReadOnlyList<string> Problems(string? policy, string? strategy, bool poissonSampling, bool centralDp, bool secureAggregation)
    {
        if (policy != Fold) return [];
        var problems = new List<string>();
        if (poissonSampling) problems.Add("cannot be combined with Poisson sampling: the accountant assumes each round's updates come from a fresh sample");
        if (centralDp) problems.Add("cannot be combined with central DP: the accountant assumes each round's updates come from a fresh sample, and a late update would be counted in two rounds' sample");
        if (secureAggregation) problems.Add("cannot be combined with secure aggregation: a closed round's protocol cannot unmask an update that arrives after it");
        if (strategy is not null && RobustStrategies.IsRobust(strategy))
            problems.Add($"cannot be combined with the robust strategy '{strategy}': it compares updates with each other, and a late update was trained on an older model, so it would look like an outlier or move the median for that reason alone");
        if (strategy == ScaffoldLayout.StrategyName)
            problems.Add("cannot be combined with SCAFFOLD: a late update's control variate belongs to the older round");
        return problems;
    }
}
