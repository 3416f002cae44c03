using System.Globalization;

namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// Norm-outlier validation, on top of any strategy: with the task parameter "outlier-factor" = k (at least 1), an update
/// whose L2 norm exceeds k times the median norm of the previous round's contributors is rejected before its offending
/// slice is folded. 0 or absent turns it off; the first round, with nothing to compare with, is not checked.
/// </summary>
/// <remarks>
/// A scaled update (a Byzantine client multiplying its delta by 10, say) stands out by its norm long before it reaches
/// the aggregate; the median of the previous round is a reference an attacker minority cannot move far.
/// </remarks>
public static class NormOutlierRule
{
    public const string Parameter = "outlier-factor";

    /// <summary>The factor k from the task's strategy parameters (0 when absent).</summary>
    /// <exception cref="ArgumentException">The value is not 0 or a finite number of at least 1; the message names it.</exception>
    public static double Factor(IReadOnlyDictionary<string, string>? parameters)
    {
        if (parameters is null || !parameters.TryGetValue(Parameter, out var text)) return 0;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var factor)
            || !(factor == 0 || (factor >= 1 && double.IsFinite(factor))))
            throw new ArgumentException($"Parameter {Parameter}={text} must be 0 (off) or a number of at least 1.");
        return factor;
    }

    /// <summary>k times the median of <paramref name="previousNorms"/>, or null when k is 0 or there is nothing to compare with.</summary>
    public static double? Limit(double factor, IReadOnlyList<double>? previousNorms)
    {
        if (factor == 0 || previousNorms is null || previousNorms.Count == 0) return null;
        var sorted = previousNorms.Order().ToArray();
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        return median > 0 ? factor * median : null;
    }
}
