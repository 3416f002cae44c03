namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// How a SCAFFOLD task stores its global model: the model weights x (P values) followed by the server control variate c
/// (P values), one vector of 2P floats [x ; c]. Every other strategy stores just the P weights.
/// </summary>
/// <remarks>Design notes: docs/scaffold.md, "Notes: ScaffoldLayout".</remarks>
public static class ScaffoldLayout
{
    /// <summary>The strategy name that selects this layout.</summary>
    public const string StrategyName = "scaffold";

    /// <summary>True when <paramref name="strategy"/> names SCAFFOLD (the stored model is [x ; c]).</summary>
    public static bool IsScaffold(string? strategy) => string.Equals(strategy, StrategyName, StringComparison.Ordinal);

    /// <summary>P, the number of weights in a stored SCAFFOLD model of <paramref name="storedLength"/> values.</summary>
    /// <exception cref="ArgumentException"><paramref name="storedLength"/> is odd or not positive.</exception>
    public static int WeightCount(int storedLength)
    {
        if (storedLength <= 0 || storedLength % 2 != 0)
            throw new ArgumentException(
                $"A SCAFFOLD model is stored as weights followed by the server control variate, [x ; c], an even number of values; {storedLength} is not.",
                nameof(storedLength));
        return storedLength / 2;
    }
}
