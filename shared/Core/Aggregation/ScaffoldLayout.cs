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

    /// <summary>The stored length of a model of <paramref name="weightCount"/> weights under <paramref name="strategy"/>.</summary>
    public static int StoredLength(string? strategy, int weightCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weightCount);
        return IsScaffold(strategy) ? checked(2 * weightCount) : weightCount;
    }

    /// <summary>The version-0 model to store: <paramref name="weights"/> itself, or for SCAFFOLD [weights ; 0].</summary>
    public static float[] InitialModel(string? strategy, float[] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!IsScaffold(strategy)) return weights;
        var stored = new float[StoredLength(strategy, weights.Length)];
        weights.CopyTo(stored, 0);
        return stored;
    }

    /// <summary>The model weights of a stored model: all of it, or for SCAFFOLD the first half.</summary>
    /// <exception cref="ArgumentException">A SCAFFOLD model of odd length (not [x ; c]).</exception>
    public static ReadOnlySpan<float> Weights(string? strategy, ReadOnlySpan<float> stored) =>
        IsScaffold(strategy) ? stored[..WeightCount(stored.Length)] : stored;

    /// <summary>The weights part as an array (a copy for SCAFFOLD; <paramref name="stored"/> itself otherwise).</summary>
    public static float[] WeightsArray(string? strategy, float[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return IsScaffold(strategy) ? stored.AsSpan(0, WeightCount(stored.Length)).ToArray() : stored;
    }

    /// <summary>The server control variate c of a stored SCAFFOLD model: its second half.</summary>
    /// <exception cref="ArgumentException">An odd length (not [x ; c]).</exception>
    public static ReadOnlySpan<float> ControlVariate(ReadOnlySpan<float> stored) => stored[WeightCount(stored.Length)..];

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
