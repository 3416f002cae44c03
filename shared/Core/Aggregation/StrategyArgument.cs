namespace FlMicroservices.Core.Aggregation;

/// <summary>Range checks for strategy constructor arguments; each failure names the parameter.</summary>
internal static class StrategyArgument
{
    /// <summary>A finite number greater than zero (learning rates, norms, tau).</summary>
    public static double Positive(double value, string parameter) =>
        value > 0 && double.IsFinite(value) ? value
            : throw new ArgumentOutOfRangeException(parameter, value, $"{parameter} must be a finite number greater than 0.");

    /// <summary>A finite number of at least zero (FedProx's mu).</summary>
    public static double NonNegative(double value, string parameter) =>
        value >= 0 && double.IsFinite(value) ? value
            : throw new ArgumentOutOfRangeException(parameter, value, $"{parameter} must be a finite number of at least 0.");

    /// <summary>A decay rate in [0, 1) (momentum, beta1, beta2).</summary>
    public static double DecayRate(double value, string parameter) =>
        value >= 0 && value < 1 ? value
            : throw new ArgumentOutOfRangeException(parameter, value, $"{parameter} must be in [0, 1).");
}
