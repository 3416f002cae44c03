using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Privacy.Dp;

namespace FlMicroservices.Core.Planning;

/// <summary>Reads a <see cref="RoundStarted"/>'s plan, also from a message published before plans existed (its derived keys become typed settings).</summary>
public static class RoundPlan
{
    /// <summary>The round's settings: <see cref="RoundStarted.Settings"/>, or for an old message the plan rebuilt from the keys it carried.</summary>
    /// <exception cref="ArgumentException">An old message's derived key does not parse; the message names it.</exception>
    public static RoundSettings SettingsOf(RoundStarted started)
    {
        ArgumentNullException.ThrowIfNull(started);
        if (started.Settings is { } settings) return settings;
        var carried = started.StrategyParameters ?? [];
        var own = ParametersOf(started);
        var mu = started.Training?.ProximalMu ?? 0;
        var context = new RoundContext(started.Round, 1, started.Participants?.Length ?? 0);
        RoundSettings legacy;
        try { legacy = RoundPlanner.Configure(StrategyCatalog.Create(started.Strategy ?? "", own, started.ByzantineShare), mu, context); }
        catch (ArgumentException) { legacy = new RoundSettings(ProximalMu: mu); } // the strategy's own error surfaces when the round builds it
        if (legacy.ControlVariates)
            legacy = legacy with { TotalClients = carried.TryGetValue(Scaffold.TotalClientsParameter, out var n) ? Scaffold.ParseTotalClients(n) : null };
        if (DpFedAvgParameters.IsEnabled(carried))
            legacy = legacy with { CentralDp = DpFedAvgParameters.Parse(carried).ToSettings(), WholeUpdateNorms = true };
        return legacy;
    }

    /// <summary>The task's own strategy parameters: <see cref="RoundStarted.StrategyParameters"/> without the keys an old selector derived.</summary>
    public static IReadOnlyDictionary<string, string> ParametersOf(RoundStarted started)
    {
        ArgumentNullException.ThrowIfNull(started);
        var parameters = started.StrategyParameters ?? [];
        if (started.Settings is not null) return parameters;
        return parameters.Where(p => !IsLegacyDpKey(p.Key) && p.Key != Scaffold.TotalClientsParameter)
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
    }

    /// <summary>The round's aggregation strategy, built from the task's own parameters and the round's settings.</summary>
    /// <exception cref="ArgumentException">The strategy or its settings are invalid; the message names them.</exception>
    public static IAggregationStrategy StrategyOf(RoundStarted started) =>
        StrategyCatalog.Create(started.Strategy, ParametersOf(started), started.ByzantineShare, SettingsOf(started));

    /// <summary>True for a key of the DP-FedAvg group an old selector put into RoundStarted.StrategyParameters.</summary>
    public static bool IsLegacyDpKey(string key) => key.StartsWith("dp-", StringComparison.Ordinal);
}
