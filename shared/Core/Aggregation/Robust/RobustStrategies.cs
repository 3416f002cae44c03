using System.Globalization;

namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>Creates the Byzantine-robust strategies by CLI name from string parameters.</summary>
/// <remarks>
/// Parameters: "beta" (trimmed-mean; default: the task's Byzantine share), "f" (krum, multi-krum, bulyan; default:
/// floor(share n) of each round's n updates), "m" (multi-krum; default n - f with an explicit f, n - 2f otherwise).
/// Numbers use the invariant culture; f and m must be whole ("2" or "2.0"). Keys a strategy does not use are ignored,
/// because one parameter set is shared by every strategy (for example clipping's "max-norm").
/// </remarks>
public static class RobustStrategies
{
    /// <summary>The names <see cref="Create"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["median", "trimmed-mean", "krum", "multi-krum", "bulyan"];

    public static bool IsRobust(string name) => Names.Contains(name);

    /// <exception cref="ArgumentException">Unknown name, or a parameter that does not parse or is out of range (the message names it).</exception>
    /// <param name="byzantineShare">The share of each round's updates the task tolerates as Byzantine, in [0, 0.5).</param>
    public static IAggregationStrategy Create(string name, IReadOnlyDictionary<string, string>? parameters = null,
        double byzantineShare = ByzantineTolerance.DefaultShare)
    {
        ArgumentNullException.ThrowIfNull(name);
        parameters ??= new Dictionary<string, string>();
        if (!ByzantineTolerance.IsValidShare(byzantineShare))
            throw new ArgumentException(FormattableString.Invariant(
                $"The Byzantine share {byzantineShare} of strategy '{name}' must be in [0, 0.5): a majority of every round must be honest."), nameof(byzantineShare));
        switch (name)
        {
            case "median":
                return new FedMedian();
            case "trimmed-mean":
                var beta = Real(name, parameters, "beta", byzantineShare);
                if (!(beta >= 0 && beta < 0.5))
                    throw Bad(name, "beta", parameters["beta"], "must be in [0, 0.5): it is the fraction trimmed from each end");
                return new TrimmedMean(beta);
            case "krum":
                return new Krum(Tolerance(name, parameters, byzantineShare));
            case "multi-krum":
                int? m = parameters.ContainsKey("m") ? Whole(name, parameters, "m", 0, 1) : null;
                return new MultiKrum(Tolerance(name, parameters, byzantineShare), m);
            case "bulyan":
                return new Bulyan(Tolerance(name, parameters, byzantineShare));
            default:
                throw new ArgumentException($"Unknown robust aggregation strategy '{name}' (known: {string.Join(", ", Names)}).", nameof(name));
        }
    }

    /// <summary>The fewest updates every round of <paramref name="strategy"/> can aggregate from on (1 when any number works); null when none can.</summary>
    public static int? MinimumUpdates(IAggregationStrategy strategy) => strategy switch
    {
        Krum krum => krum.Tolerance.MinimumUpdates(2),
        MultiKrum multi => multi.Tolerance.MinimumUpdates(2) is { } n ? Math.Max(n, multi.M ?? 0) : null,
        Bulyan bulyan => bulyan.Tolerance.MinimumUpdates(4),
        _ => 1,
    };

    /// <summary>
    /// Why <paramref name="strategy"/> cannot aggregate every round of <paramref name="smallestRound"/> or more updates, or null
    /// when it can: Krum and Multi-Krum need n &gt; 2f + 2, Bulyan n &gt;= 4f + 3, Multi-Krum n &gt;= m.
    /// </summary>
    public static string? RoundSizeProblem(IAggregationStrategy strategy, int smallestRound)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        var tolerance = strategy switch { Krum k => k.Tolerance, MultiKrum m => m.Tolerance, Bulyan b => b.Tolerance, _ => null };
        if (tolerance is null) return null;
        var rule = strategy is Bulyan ? "n >= 4f + 3" : "n > 2f + 2";
        if (MinimumUpdates(strategy) is not { } needed)
            return FormattableString.Invariant(
                $"strategy '{strategy.Name}' needs {rule}, so it cannot tolerate a Byzantine share of {tolerance.Share} in a round of any size (it must stay below {(strategy is Bulyan ? "1/4" : "1/2")})");
        if (smallestRound >= needed) return null;
        var f = tolerance.F is { } given ? $"f = {given}" : FormattableString.Invariant($"a Byzantine share of {tolerance.Share}");
        return $"strategy '{strategy.Name}' with {f} needs {rule} and so rounds of at least {needed} updates, but a round may aggregate as few as {smallestRound}";
    }

    private static ByzantineTolerance Tolerance(string strategy, IReadOnlyDictionary<string, string> parameters, double share) =>
        parameters.ContainsKey("f") ? ByzantineTolerance.Exactly(Whole(strategy, parameters, "f", 0, 0)) : new ByzantineTolerance(share);

    private static double Real(string strategy, IReadOnlyDictionary<string, string> parameters, string key, double fallback)
    {
        if (!parameters.TryGetValue(key, out var text)) return fallback;
        if (text is null || !double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw Bad(strategy, key, text, "is not a finite number");
        return value;
    }

    private static int Whole(string strategy, IReadOnlyDictionary<string, string> parameters, string key, int fallback, int minimum)
    {
        if (!parameters.TryGetValue(key, out var text)) return fallback;
        if (text is null || !double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || value != Math.Floor(value) || value < minimum || value > 1_000_000)
            throw Bad(strategy, key, text, $"must be a whole number of at least {minimum}");
        return (int)value;
    }

    private static ArgumentException Bad(string strategy, string key, string? text, string problem) =>
        new($"Parameter '{key}' = '{text}' of strategy '{strategy}' {problem}.", "parameters");
}
