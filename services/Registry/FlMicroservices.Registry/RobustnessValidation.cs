using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Aggregation.Robust;

namespace FlMicroservices.Registry;

/// <summary>The Byzantine settings of a task: its share, and whether a robust strategy can aggregate its smallest possible round.</summary>
public static class RobustnessValidation
{
    public static void Validate(TaskSpec spec, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(problems);
        var share = spec.ByzantineShare;
        if (!ByzantineTolerance.IsValidShare(share))
        {
            problems.Add(FormattableString.Invariant($"ByzantineShare {share} must be in [0, 0.5): a majority of every round must be honest"));
            return;
        }
        if (spec.Strategy is not { } name || !RobustStrategies.IsRobust(name) || spec.MinClientsPerRound < 1 || !(spec.Quorum > 0 && spec.Quorum <= 1)) return;
        IAggregationStrategy strategy;
        try { strategy = RobustStrategies.Create(name, spec.StrategyParameters, share); }
        catch (ArgumentException) { return; } // a bad parameter is reported under Strategy
        var smallest = QuorumRule.Needed(spec.MinClientsPerRound, spec.Quorum);
        if (RobustStrategies.RoundSizeProblem(strategy, smallest) is not { } problem) return;
        if (RobustStrategies.MinimumUpdates(strategy) is { } needed)
            problems.Add(FormattableString.Invariant(
                $"MinClientsPerRound {spec.MinClientsPerRound} with Quorum {spec.Quorum}: {problem} (after dropouts); raise MinClientsPerRound to {QuorumRule.ParticipantsFor(needed, spec.Quorum)}"));
        else
            problems.Add(FormattableString.Invariant($"ByzantineShare {share}: {problem}"));
    }
}
