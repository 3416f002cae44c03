using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Aggregation;

/// <summary>The aggregation strategies this service can run, by name, with their parameters.</summary>
public static class StrategyCatalog
{
    public static IAggregationStrategy Create(string name, IReadOnlyDictionary<string, string>? parameters = null) => name switch
    {
        "fedavg" => new FedAvg(),
        _ => throw new ArgumentException($"Unknown aggregation strategy '{name}' (known: fedavg).", nameof(name)),
    };
}
