using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation.Robust;
using FlMicroservices.Core.Privacy.Dp;

namespace FlMicroservices.Core.Aggregation;

/// <summary>Every aggregation strategy the platform runs, by its CLI name, built from the task's text parameters and the round plan.</summary>
/// <remarks>
/// With <see cref="RoundSettings.CentralDp"/> (the round plan derives it from a task's privacy settings), the strategy is
/// wrapped in <see cref="DpFedAvg"/>: clipping, Gaussian noise and the fixed denominator come first, and the strategy turns
/// the privatized mean into the next model. Robust strategies cannot be wrapped (they need every client's own update;
/// DP-FedAvg hands them one privatized mean), nor can "max-norm" be combined with it (DP-FedAvg already clips every update).
/// </remarks>
public static class StrategyCatalog
{
    public static IReadOnlyList<string> Names => [.. StrategyFactory.Names, ScaffoldLayout.StrategyName, .. RobustStrategies.Names];

    /// <param name="parameters">The task's own strategy parameters.</param>
    /// <param name="byzantineShare">The share of each round's updates a robust strategy tolerates (the task's ByzantineShare).</param>
    /// <param name="settings">The round plan (SCAFFOLD's N, central DP); null for a strategy outside any round (validation, tools).</param>
    /// <exception cref="ArgumentException">Unknown name, a parameter with a bad value, or a combination that cannot work (the message names it).</exception>
    public static IAggregationStrategy Create(string name, IReadOnlyDictionary<string, string>? parameters = null,
        double byzantineShare = ByzantineTolerance.DefaultShare, RoundSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        NormOutlierRule.Factor(parameters); // validated here so that a task with a bad factor is refused when it is created
        IAggregationStrategy strategy;
        if (RobustStrategies.IsRobust(name)) strategy = RobustStrategies.Create(name, parameters, byzantineShare);
        else if (StrategyFactory.Names.Contains(name)) strategy = StrategyFactory.Create(name, parameters);
        else if (ScaffoldLayout.IsScaffold(name)) strategy = Scaffold.ForCatalog(parameters, settings); // refuses DP-FedAvg and max-norm itself
        else throw new ArgumentException($"Unknown aggregation strategy '{name}' (known: {string.Join(", ", Names)}).", nameof(name));
        if (settings?.CentralDp is not { } dp) return strategy;

        if (RobustStrategies.IsRobust(name))
            throw new ArgumentException(
                $"Strategy '{name}' cannot run under central differential privacy: DP-FedAvg hands the strategy one privatized mean, " +
                $"and a robust strategy needs every client's own update (use {string.Join(", ", StrategyFactory.Names)}).", nameof(name));
        if (NormOutlierRule.Factor(parameters) > 0)
            throw new ArgumentException(
                $"Parameter '{NormOutlierRule.Parameter}' cannot be combined with central differential privacy: rejecting updates by their norm " +
                "is a data-dependent decision outside the DP mechanism (DP-FedAvg's clipping already bounds every update).", nameof(parameters));
        if (strategy is NormBounding)
            throw new ArgumentException(
                "Parameter 'max-norm' cannot be combined with central differential privacy: DP-FedAvg clips every update to the privacy clip norm already.",
                nameof(parameters));
        return new DpFedAvg(strategy, DpFedAvgOptions.From(dp));
    }
}
