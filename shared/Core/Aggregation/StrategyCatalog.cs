using FlMicroservices.Core.Aggregation.Robust;

namespace FlMicroservices.Core.Aggregation;

/// <summary>Every aggregation strategy the platform runs, by its CLI name, built from text parameters.</summary>
public static class StrategyCatalog
{
    public static IReadOnlyList<string> Names => [.. StrategyFactory.Names, .. RobustStrategies.Names];

    /// <exception cref="ArgumentException">Unknown name, or a parameter with a bad value (the message names it).</exception>
    public static IAggregationStrategy Create(string name, IReadOnlyDictionary<string, string>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        NormOutlierRule.Factor(parameters); // validated here so that a task with a bad factor is refused when it is created
        if (RobustStrategies.IsRobust(name)) return RobustStrategies.Create(name, parameters);
        if (StrategyFactory.Names.Contains(name)) return StrategyFactory.Create(name, parameters);
        throw new ArgumentException($"Unknown aggregation strategy '{name}' (known: {string.Join(", ", Names)}).", nameof(name));
    }
}
