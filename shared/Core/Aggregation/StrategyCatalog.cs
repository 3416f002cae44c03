using FlMicroservices.Core.Aggregation.Robust;

namespace FlMicroservices.Core.Aggregation;

/// <summary>Every aggregation strategy the platform runs, by its CLI name, built from text parameters.</summary>
public static class StrategyCatalog
{
    private static readonly string[] Linear = ["fedavg"];

    public static IReadOnlyList<string> Names => [.. Linear, .. RobustStrategies.Names];

    /// <exception cref="ArgumentException">Unknown name, or a parameter with a bad value (the message names it).</exception>
    public static IAggregationStrategy Create(string name, IReadOnlyDictionary<string, string>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (RobustStrategies.IsRobust(name)) return RobustStrategies.Create(name, parameters);
        return name switch
        {
            "fedavg" => new FedAvg(),
            _ => throw new ArgumentException($"Unknown aggregation strategy '{name}' (known: {string.Join(", ", Names)}).", nameof(name)),
        };
    }
}
