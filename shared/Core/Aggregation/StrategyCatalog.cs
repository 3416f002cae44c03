using FlMicroservices.Core.Aggregation.Robust;
using FlMicroservices.Core.Privacy.Dp;

namespace FlMicroservices.Core.Aggregation;

/// <summary>Every aggregation strategy the platform runs, by its CLI name, built from text parameters.</summary>
/// <remarks>
/// With the DP-FedAvg parameters (<see cref="DpFedAvgParameters"/>, "dp-noise-multiplier" and friends, which the selector
/// derives from a task's privacy settings), the strategy is wrapped in <see cref="DpFedAvg"/>: clipping, Gaussian noise
/// and the fixed denominator come first, and the strategy turns the privatized mean into the next model. Robust
/// strategies cannot be wrapped (they need every client's own update; DP-FedAvg hands them one privatized mean), nor can
/// "max-norm" be combined with it (DP-FedAvg already clips every update to "dp-clip").
/// </remarks>
public static class StrategyCatalog
{
    public static IReadOnlyList<string> Names => [.. StrategyFactory.Names, ScaffoldLayout.StrategyName, .. RobustStrategies.Names];

    /// <param name="byzantineShare">The share of each round's updates a robust strategy tolerates (the task's ByzantineShare).</param>
    /// <exception cref="ArgumentException">Unknown name, or a parameter with a bad value (the message names it).</exception>
    public static IAggregationStrategy Create(string name, IReadOnlyDictionary<string, string>? parameters = null,
        double byzantineShare = ByzantineTolerance.DefaultShare)
    {
        ArgumentNullException.ThrowIfNull(name);
        NormOutlierRule.Factor(parameters); // validated here so that a task with a bad factor is refused when it is created
        IAggregationStrategy strategy;
        if (RobustStrategies.IsRobust(name)) strategy = RobustStrategies.Create(name, parameters, byzantineShare);
        else if (StrategyFactory.Names.Contains(name)) strategy = StrategyFactory.Create(name, parameters);
        else if (ScaffoldLayout.IsScaffold(name)) strategy = Scaffold.ForCatalog(parameters); // refuses DP-FedAvg and max-norm itself
        else throw new ArgumentException($"Unknown aggregation strategy '{name}' (known: {string.Join(", ", Names)}).", nameof(name));
        if (!DpFedAvgParameters.IsEnabled(parameters)) return strategy;

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
                $"Parameter 'max-norm' cannot be combined with central differential privacy: DP-FedAvg clips every update to '{DpFedAvgParameters.Clip}' already.",
                nameof(parameters));
        return new DpFedAvg(strategy, DpFedAvgParameters.Parse(parameters!));
    }
}
