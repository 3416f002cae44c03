using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Aggregation.Robust;
using FlMicroservices.Core.Compression;
using FlMicroservices.Core.Privacy.Dp;

namespace FlMicroservices.Core.Planning;

/// <summary>Plans a task's rounds: the typed <see cref="RoundSettings"/> its strategy, wrappers and privacy ask for (docs/architecture.md, "The round plan").</summary>
public static class RoundPlanner
{
    /// <summary>The context validation plans with: one healthy client, one sampled, m unknown.</summary>
    public static RoundContext Nominal { get; } = new(1, 1, 1);

    /// <summary>The settings of one round of <paramref name="spec"/>.</summary>
    /// <exception cref="ArgumentException">The task's strategy, its parameters or their combination with the task's settings cannot work; the message names it.</exception>
    public static RoundSettings Plan(TaskSpec spec, RoundContext round)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(round);
        var strategy = StrategyCatalog.Create(spec.Strategy ?? "", spec.StrategyParameters, spec.ByzantineShare);
        var settings = Configure(strategy, spec.Training?.ProximalMu ?? 0, round);
        if (CentralDp(spec.Privacy, round.ExpectedClients) is { } dp)
        {
            settings = settings with { CentralDp = dp, WholeUpdateNorms = true };
            StrategyCatalog.Create(spec.Strategy ?? "", spec.StrategyParameters, spec.ByzantineShare, settings); // refuses what DP-FedAvg cannot wrap
        }
        if (SigningAlgorithms.Signs(spec.Signing)) settings = settings with { Signing = spec.Signing };
        if (spec.LateUpdates == LateUpdatePolicy.Fold) settings = settings with { LateUpdates = LateUpdatePolicy.Fold };
        var compression = CompressionSpec.Parse(spec.Compression);
        return compression.IsNone ? settings : settings with { Compression = compression.ToString() };
    }

    /// <summary>What <paramref name="strategy"/> (through its wrappers) asks for, over the task's own proximal term.</summary>
    /// <exception cref="ArgumentException">The strategy refuses <paramref name="proximalMu"/>.</exception>
    public static RoundSettings Configure(IAggregationStrategy strategy, double proximalMu, RoundContext round)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        var settings = new RoundSettings(ProximalMu: proximalMu);
        return strategy is IRoundConfigurator configurator ? configurator.Configure(settings, round) : settings;
    }

    /// <summary>The central-DP block of a task's privacy settings, or null when the server adds no noise.</summary>
    /// <param name="expectedClients">m, fixed at the task's first round; null when not known (validation).</param>
    public static CentralDpSettings? CentralDp(PrivacyConfig? privacy, double? expectedClients)
    {
        if (privacy is not { Enabled: true, Mechanism: PrivacyMechanism.Central }) return null;
        var adaptive = privacy.AdaptiveClipping;
        return new CentralDpSettings(privacy.NoiseMultiplier, privacy.ClippingNorm, adaptive,
            adaptive ? privacy.TargetQuantile : AdaptiveClipping.DefaultTargetQuantile,
            adaptive ? privacy.ClipLearningRate : AdaptiveClipping.DefaultLearningRate,
            adaptive && privacy.CountNoiseStd != 0 ? privacy.CountNoiseStd : null,
            expectedClients, privacy.NoiseSeed);
    }

    /// <summary>
    /// What keeps <paramref name="spec"/>'s rounds from being planned, central DP aside (<see cref="CentralDpProblem"/>): derived
    /// settings given as parameters, a strategy that cannot be built, settings the strategy refuses. Each names the setting.
    /// </summary>
    public static IReadOnlyList<string> Problems(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var problems = new List<string>(DerivedParameterProblems(spec.StrategyParameters));
        IAggregationStrategy strategy;
        try { strategy = StrategyCatalog.Create(spec.Strategy ?? "", spec.StrategyParameters); }
        catch (ArgumentException e)
        {
            problems.Add($"Strategy: {e.Message}");
            return problems;
        }
        var mu = spec.Training?.ProximalMu ?? 0;
        try { Configure(strategy, mu, Nominal); }
        catch (ArgumentException e) { problems.Add(FormattableString.Invariant($"Training.ProximalMu {mu}: {e.Message}")); }
        return problems;
    }

    /// <summary>Why the task's strategy cannot run under its central DP settings, or null (also when DP is off or local).</summary>
    public static string? CentralDpProblem(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (CentralDp(spec.Privacy, null) is not { } dp) return null;
        try
        {
            StrategyCatalog.Create(spec.Strategy ?? "", spec.StrategyParameters, settings: new RoundSettings(CentralDp: dp));
            return null;
        }
        catch (ArgumentException e) { return $"Privacy: {e.Message}"; }
    }

    /// <summary>The task's parameters that make the aggregation look at each update's norm ("max-norm", a nonzero "outlier-factor").</summary>
    public static IReadOnlyList<string> NormParameters(IReadOnlyDictionary<string, string>? parameters)
    {
        var keys = new List<string>();
        if (parameters is null) return keys;
        if (parameters.ContainsKey(NormBounding.Parameter)) keys.Add(NormBounding.Parameter);
        if (parameters.TryGetValue(NormOutlierRule.Parameter, out var factor) && factor != "0") keys.Add(NormOutlierRule.Parameter);
        return keys;
    }

    /// <summary>Parameters the plan derives and a task must not set: the DP-FedAvg keys and SCAFFOLD's N that old RoundStarted messages carried.</summary>
    public static IEnumerable<string> DerivedParameterProblems(IReadOnlyDictionary<string, string>? parameters)
    {
        if (parameters is null) yield break;
        var dpKeys = parameters.Keys.Where(RoundPlan.IsLegacyDpKey).Order(StringComparer.Ordinal).ToList();
        if (dpKeys.Count > 0)
            yield return $"StrategyParameters {string.Join(", ", dpKeys.Select(k => $"'{k}'"))}: DP-FedAvg parameters are derived from Privacy; set Privacy instead";
        if (parameters.ContainsKey(Scaffold.TotalClientsParameter))
            yield return $"StrategyParameters '{Scaffold.TotalClientsParameter}': the selector derives it each round from the clients it samples from; do not set it";
    }
}
