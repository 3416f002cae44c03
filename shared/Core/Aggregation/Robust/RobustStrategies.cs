using System.Globalization;

namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>Creates the Byzantine-robust strategies by CLI name from string parameters.</summary>
/// <remarks>
/// Parameters: "beta" (trimmed-mean; default 0.1), "f" (krum, multi-krum, bulyan; default 1), "m" (multi-krum;
/// default n - f). Numbers use the invariant culture; f and m must be whole ("2" or "2.0"). Keys a strategy does
/// not use are ignored, because one parameter set is shared by every strategy (for example clipping's "max-norm").
/// </remarks>
public static class RobustStrategies
{
    /// <summary>The names <see cref="Create"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["median", "trimmed-mean", "krum", "multi-krum", "bulyan"];

    public static bool IsRobust(string name) => Names.Contains(name);

    /// <exception cref="ArgumentException">Unknown name, or a parameter that does not parse or is out of range (the message names it).</exception>
    public static IAggregationStrategy Create(string name, IReadOnlyDictionary<string, string>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        parameters ??= new Dictionary<string, string>();
        switch (name)
        {
            case "median":
                return new FedMedian();
            case "trimmed-mean":
                var beta = Real(name, parameters, "beta", TrimmedMean.DefaultBeta);
                if (!(beta >= 0 && beta < 0.5))
                    throw Bad(name, "beta", parameters["beta"], "must be in [0, 0.5): it is the fraction trimmed from each end");
                return new TrimmedMean(beta);
            case "krum":
                return new Krum(Whole(name, parameters, "f", 1, 0));
            case "multi-krum":
                var f = Whole(name, parameters, "f", 1, 0);
                int? m = parameters.ContainsKey("m") ? Whole(name, parameters, "m", 0, 1) : null;
                return new MultiKrum(f, m);
            case "bulyan":
                return new Bulyan(Whole(name, parameters, "f", 1, 0));
            default:
                throw new ArgumentException($"Unknown robust aggregation strategy '{name}' (known: {string.Join(", ", Names)}).", nameof(name));
        }
    }

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
