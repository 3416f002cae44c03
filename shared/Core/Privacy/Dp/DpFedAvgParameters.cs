using System.Globalization;

namespace FlMicroservices.Core.Privacy.Dp;

/// <summary>
/// The strategy parameters that switched on <see cref="DpFedAvg"/> in <c>RoundStarted.StrategyParameters</c> before the typed
/// round plan (<see cref="Contracts.V1.RoundSettings.CentralDp"/>); read only from old messages (<see cref="Planning.RoundPlan"/>).
/// </summary>
/// <remarks>Design notes: docs/privacy.md, "Notes: DpFedAvgParameters".</remarks>
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
