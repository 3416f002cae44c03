using System.Globalization;

namespace FlMicroservices.Core.Privacy.Dp;

/// <summary>
/// The strategy parameters that switch on <see cref="DpFedAvg"/> around a task's strategy, as the aggregation service
/// receives them in <c>RoundStarted.StrategyParameters</c> (invariant-culture text).
/// </summary>
/// <remarks>
/// <para>
/// A task does not set these itself: the selector derives them from the task's privacy settings every round
/// (<see cref="For"/>), adding the expected number of clients per round, which only it knows. Keys:
/// "dp-noise-multiplier" (z, present = DP on), "dp-clip" (C, or the initial C), "dp-adaptive" (true/false),
/// "dp-target-quantile" (γ, 0.5), "dp-clip-lr" (η_C, 0.2), "dp-count-noise" (σ_b, default
/// <see cref="AdaptiveClipping.DefaultCountNoiseStd"/>), "dp-expected-clients" (m) and "dp-seed" (reproducible noise for
/// simulations and tests).
/// </para>
/// </remarks>
public static class DpFedAvgParameters
{
    public const string NoiseMultiplier = "dp-noise-multiplier";
    public const string Clip = "dp-clip";
    public const string Adaptive = "dp-adaptive";
    public const string TargetQuantile = "dp-target-quantile";
    public const string ClipLearningRate = "dp-clip-lr";
    public const string CountNoise = "dp-count-noise";
    public const string ExpectedClients = "dp-expected-clients";
    public const string Seed = "dp-seed";

    /// <summary>Every key of this group.</summary>
    public static IReadOnlyList<string> Keys { get; } =
        [NoiseMultiplier, Clip, Adaptive, TargetQuantile, ClipLearningRate, CountNoise, ExpectedClients, Seed];

    private static readonly Dictionary<string, string> KeyOfProperty = new(StringComparer.Ordinal)
    {
        [nameof(DpFedAvgOptions.NoiseMultiplier)] = NoiseMultiplier,
        [nameof(DpFedAvgOptions.ClipNorm)] = Clip,
        [nameof(DpFedAvgOptions.TargetQuantile)] = TargetQuantile,
        [nameof(DpFedAvgOptions.ClipLearningRate)] = ClipLearningRate,
        [nameof(DpFedAvgOptions.CountNoiseStd)] = CountNoise,
        [nameof(DpFedAvgOptions.ExpectedClients)] = ExpectedClients,
    };

    /// <summary>True when the parameters ask for DP-FedAvg ("dp-noise-multiplier" is present).</summary>
    public static bool IsEnabled(IReadOnlyDictionary<string, string>? parameters) =>
        parameters is not null && parameters.ContainsKey(NoiseMultiplier);

    /// <summary>The DP-FedAvg settings in <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentException">"dp-noise-multiplier" or "dp-clip" is missing, or a value does not parse or is out of range; the message names the key.</exception>
    public static DpFedAvgOptions Parse(IReadOnlyDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var options = new DpFedAvgOptions(Required(parameters, NoiseMultiplier), Required(parameters, Clip))
        {
            ExpectedClients = Optional(parameters, ExpectedClients),
            Adaptive = Flag(parameters, Adaptive),
            TargetQuantile = Optional(parameters, TargetQuantile) ?? AdaptiveClipping.DefaultTargetQuantile,
            ClipLearningRate = Optional(parameters, ClipLearningRate) ?? AdaptiveClipping.DefaultLearningRate,
            CountNoiseStd = Optional(parameters, CountNoise) is { } sigma && sigma != 0 ? sigma : null,
            Seed = WholeNumber(parameters, Seed),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName is not null && KeyOfProperty.TryGetValue(e.ParamName, out var key))
        {
            parameters.TryGetValue(key, out var text);
            var message = e.Message.ReplaceLineEndings(" ");
            var cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
            throw new ArgumentException($"Parameter '{key}' = '{text ?? "(default)"}' is out of range: {message}", "parameters", e);
        }
        return options;
    }

    /// <summary>
    /// The DP-FedAvg parameters for a task's privacy settings, merged over <paramref name="parameters"/> (whose own dp-*
    /// keys are replaced): what the selector puts into <c>RoundStarted.StrategyParameters</c>.
    /// </summary>
    /// <param name="countNoiseStd">σ_b; 0 for the default.</param>
    /// <param name="expectedClients">m; null leaves it out (the registry validates without it).</param>
    /// <param name="seed">Null for CSPRNG noise.</param>
    public static Dictionary<string, string> For(
        IReadOnlyDictionary<string, string>? parameters, double noiseMultiplier, double clipNorm, bool adaptive = false,
        double targetQuantile = AdaptiveClipping.DefaultTargetQuantile, double clipLearningRate = AdaptiveClipping.DefaultLearningRate,
        double countNoiseStd = 0, double? expectedClients = null, long? seed = null)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parameters is not null)
            foreach (var (key, value) in parameters)
                if (!key.StartsWith("dp-", StringComparison.Ordinal)) merged[key] = value;
        merged[NoiseMultiplier] = Text(noiseMultiplier);
        merged[Clip] = Text(clipNorm);
        if (adaptive)
        {
            merged[Adaptive] = "true";
            merged[TargetQuantile] = Text(targetQuantile);
            merged[ClipLearningRate] = Text(clipLearningRate);
            if (countNoiseStd != 0) merged[CountNoise] = Text(countNoiseStd);
        }
        if (expectedClients is { } m) merged[ExpectedClients] = Text(m);
        if (seed is { } s) merged[Seed] = s.ToString(CultureInfo.InvariantCulture);
        return merged;
    }

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static double Required(IReadOnlyDictionary<string, string> parameters, string key) =>
        Optional(parameters, key) ?? throw new ArgumentException(
            $"Parameter '{key}' is required for DP-FedAvg (set with {NoiseMultiplier} and {Clip}).", nameof(parameters));

    private static double? Optional(IReadOnlyDictionary<string, string> parameters, string key)
    {
        if (!parameters.TryGetValue(key, out var text)) return null;
        if (text is null || !double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw new ArgumentException($"Parameter '{key}' = '{text}' of DP-FedAvg is not a finite number.", nameof(parameters));
        return value;
    }

    private static bool Flag(IReadOnlyDictionary<string, string> parameters, string key)
    {
        if (!parameters.TryGetValue(key, out var text)) return false;
        return text?.Trim().ToLowerInvariant() switch
        {
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw new ArgumentException($"Parameter '{key}' = '{text}' of DP-FedAvg must be true or false.", nameof(parameters)),
        };
    }

    private static long? WholeNumber(IReadOnlyDictionary<string, string> parameters, string key)
    {
        if (!parameters.TryGetValue(key, out var text)) return null;
        if (text is null || !long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new ArgumentException($"Parameter '{key}' = '{text}' of DP-FedAvg is not a whole number.", nameof(parameters));
        return value;
    }
}
