using System.Globalization;

namespace FlMicroservices.Core.Aggregation;

/// <summary>Creates the linear and server-optimizer strategies by CLI name from text parameters.</summary>
/// <remarks>Design notes: docs/aggregation.md, "Notes: StrategyFactory".</remarks>
public static class StrategyFactory
{
    /// <summary>The names <see cref="Create"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["fedavg", "fedavgm", "fedprox", "fedadagrad", "fedadam", "fedyogi"];

    // Constructor parameter name -> the CLI key, so that a range error names what the user typed.
    private static readonly Dictionary<string, string> Keys = new(StringComparer.Ordinal)
    {
        ["serverLearningRate"] = "server-lr",
        ["eta"] = "server-lr",
        ["momentum"] = "momentum",
        ["beta1"] = "beta1",
        ["beta2"] = "beta2",
        ["tau"] = "tau",
        ["mu"] = "mu",
        ["maxNorm"] = NormBounding.Parameter,
    };

    /// <exception cref="ArgumentException">Unknown name, or a parameter that does not parse or is out of range (the message names it).</exception>
    public static IAggregationStrategy Create(string name, IReadOnlyDictionary<string, string>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        parameters ??= new Dictionary<string, string>();
        try
        {
            IAggregationStrategy strategy = name switch
            {
                "fedavg" => new FedAvg(),
                "fedavgm" => new FedAvgM(
                    Real(name, parameters, "server-lr", FedAvgM.DefaultServerLearningRate),
                    Real(name, parameters, "momentum", FedAvgM.DefaultMomentum)),
                "fedprox" => new FedProx(Real(name, parameters, "mu", FedProx.DefaultMu)),
                "fedadagrad" => new FedAdagrad(
                    Real(name, parameters, "server-lr", FedOpt.DefaultEta),
                    Real(name, parameters, "beta1", FedOpt.DefaultBeta1),
                    Real(name, parameters, "tau", FedOpt.DefaultTau)),
                "fedadam" => new FedAdam(
                    Real(name, parameters, "server-lr", FedOpt.DefaultEta),
                    Real(name, parameters, "beta1", FedOpt.DefaultBeta1),
                    Real(name, parameters, "beta2", FedOpt.DefaultBeta2),
                    Real(name, parameters, "tau", FedOpt.DefaultTau)),
                "fedyogi" => new FedYogi(
                    Real(name, parameters, "server-lr", FedOpt.DefaultEta),
                    Real(name, parameters, "beta1", FedOpt.DefaultBeta1),
                    Real(name, parameters, "beta2", FedOpt.DefaultBeta2),
                    Real(name, parameters, "tau", FedOpt.DefaultTau)),
                _ => throw new ArgumentException($"Unknown aggregation strategy '{name}' (known: {string.Join(", ", Names)}).", nameof(name)),
            };
            return parameters.ContainsKey(NormBounding.Parameter)
                ? new NormBounding(strategy, Real(name, parameters, NormBounding.Parameter, double.NaN))
                : strategy;
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName is not null && Keys.TryGetValue(e.ParamName, out var key))
        {
            parameters.TryGetValue(key, out var text);
            var problem = e.Message.ReplaceLineEndings(" ");
            throw new ArgumentException($"Parameter '{key}' = '{text}' of strategy '{name}' is out of range: {problem}", "parameters", e);
        }
    }

    private static double Real(string strategy, IReadOnlyDictionary<string, string> parameters, string key, double fallback)
    {
        if (!parameters.TryGetValue(key, out var text)) return fallback;
        if (text is null || !double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw new ArgumentException($"Parameter '{key}' = '{text}' of strategy '{strategy}' is not a finite number.", "parameters");
        return value;
    }
}
