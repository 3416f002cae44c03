using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FlMicroservices.Core.Privacy;

namespace FlMicroservices.Cli.Commands;

/// <summary>
/// `fl privacy`: the RDP accountant of the Poisson-subsampled Gaussian mechanism (DP-SGD, DP-FedAvg) from the command
/// line: `epsilon` spends a fixed noise multiplier, `noise` finds the smallest one a budget allows.
/// </summary>
public static class PrivacyCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Every number printed is finite (an infinite ε is refused); named literals only keep a surprise from throwing.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static Command Create()
    {
        var noise = new Option<double>("--noise-multiplier") { Description = "Noise standard deviation over the L2 clipping norm (σ ≥ 0)", Required = true };
        var sampleRate = new Option<double>("--sample-rate") { Description = "Poisson sampling rate per step, q in [0, 1] (batch size / data set size, or clients per round / clients)", Required = true };
        var steps = new Option<int>("--steps") { Description = "Number of steps (or rounds) composed, at least 0", Required = true };
        var delta = new Option<double>("--delta") { Description = "Target δ, strictly between 0 and 1 (e.g. below 1/data set size)", Required = true };
        var epsilon = new Command("epsilon", "ε spent by T steps of the sampled Gaussian mechanism, with the RDP order that gives it")
        {
            noise, sampleRate, steps, delta,
        };
        epsilon.SetAction(parse =>
        {
            var sigma = parse.GetValue(noise);
            var q = parse.GetValue(sampleRate);
            var t = parse.GetValue(steps);
            var d = parse.GetValue(delta);
            var problem = CheckNoise(sigma) ?? CheckMechanism(q, t, d);
            if (problem is not null) return Invalid("epsilon", problem);

            PrivacySpent spent;
            try
            {
                var accountant = new RdpAccountant();
                accountant.Step(sigma, q, t);
                spent = accountant.GetEpsilon(d);
            }
            catch (InvalidOperationException e)
            {
                return Invalid("epsilon", $"--noise-multiplier {Format(sigma)} is too small for the accountant: {e.Message}");
            }
            if (!double.IsFinite(spent.Epsilon))
                return Invalid("epsilon", $"--noise-multiplier {Format(sigma)} gives no guarantee: ε is infinite for --sample-rate {Format(q)}, --steps {t}, --delta {Format(d)} (use more noise)");
            Console.WriteLine(JsonSerializer.Serialize(new EpsilonResult(spent.Epsilon, spent.BestOrder), Json));
            return CliRunner.Ok;
        });

        var targetEpsilon = new Option<double>("--target-epsilon") { Description = "Privacy budget ε to meet (> 0)", Required = true };
        var noiseSampleRate = new Option<double>("--sample-rate") { Description = sampleRate.Description, Required = true };
        var noiseSteps = new Option<int>("--steps") { Description = steps.Description, Required = true };
        var noiseDelta = new Option<double>("--delta") { Description = delta.Description, Required = true };
        var tolerance = new Option<double>("--tolerance")
        {
            Description = "Relative precision of the noise multiplier: σ·(1 − tolerance) would exceed the budget",
            DefaultValueFactory = _ => 0.01,
        };
        var noiseCommand = new Command("noise", "Smallest noise multiplier whose T steps at rate q stay within (ε, δ)")
        {
            targetEpsilon, noiseSampleRate, noiseSteps, noiseDelta, tolerance,
        };
        noiseCommand.SetAction(parse =>
        {
            var target = parse.GetValue(targetEpsilon);
            var q = parse.GetValue(noiseSampleRate);
            var t = parse.GetValue(noiseSteps);
            var d = parse.GetValue(noiseDelta);
            var tol = parse.GetValue(tolerance);
            var problem = (target > 0 && !double.IsPositiveInfinity(target)
                    ? null
                    : $"--target-epsilon {Format(target)} must be a finite number greater than 0")
                ?? CheckMechanism(q, t, d)
                ?? (tol >= MinTolerance && tol < 1 ? null : $"--tolerance {Format(tol)} must be at least {Format(MinTolerance)} (finer is below double precision) and below 1");
            if (problem is not null) return Invalid("noise", problem);

            double sigma;
            try
            {
                sigma = NoiseCalibrator.FindNoiseMultiplier(target, q, t, d, tol);
            }
            catch (ArgumentOutOfRangeException e) when (e.ParamName == "targetEpsilon")
            {
                return Invalid("noise", $"--target-epsilon {Format(target)} cannot be met: {WithoutParameterSuffix(e.Message)}");
            }
            var accountant = new RdpAccountant();
            accountant.Step(sigma, q, t);
            Console.WriteLine(JsonSerializer.Serialize(new NoiseResult(sigma, accountant.GetEpsilon(d).Epsilon), Json));
            return CliRunner.Ok;
        });

        return new Command("privacy", "Differential-privacy accounting (RDP of the Poisson-subsampled Gaussian mechanism)")
        {
            epsilon, noiseCommand,
        };
    }

    /// <summary>The finest relative tolerance on σ: a double carries about 16 digits, so a bisection cannot narrow much further.</summary>
    public const double MinTolerance = 1e-12;

    private static string? CheckNoise(double sigma) =>
        sigma >= 0 && !double.IsPositiveInfinity(sigma) ? null : $"--noise-multiplier {Format(sigma)} must be a finite number at least 0";

    private static string? CheckMechanism(double sampleRate, int steps, double delta)
    {
        if (!(sampleRate >= 0 && sampleRate <= 1)) return $"--sample-rate {Format(sampleRate)} must be in [0, 1]";
        if (steps < 0) return $"--steps {steps} must be at least 0";
        if (!(delta > 0 && delta < 1)) return $"--delta {Format(delta)} must be strictly between 0 and 1";
        return null;
    }

    private static int Invalid(string subcommand, string message)
    {
        Console.Error.WriteLine($"fl privacy {subcommand}: {message}");
        return CliRunner.InvalidOption;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>An <see cref="ArgumentException"/> message without the "(Parameter …)" and "Actual value" lines .NET appends.</summary>
    private static string WithoutParameterSuffix(string message)
    {
        var end = message.IndexOf(" (Parameter", StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }

    private sealed record EpsilonResult(double Epsilon, double BestOrder);

    private sealed record NoiseResult(double NoiseMultiplier, double Epsilon);
}
