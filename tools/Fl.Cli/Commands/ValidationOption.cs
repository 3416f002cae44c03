using System.Globalization;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Cli.Commands;

/// <summary>Parses `fl task create --validation`: the held-out data the model registry evaluates the task's models on.</summary>
public static class ValidationOption
{
    public const string ValidForms = "none | synthetic | synthetic:ALPHA,BETA | synthetic-iid | mnist:DIR | idx:IMAGES,LABELS (paths under the model registry's Validation:DataRoot)";

    /// <summary>The spec <paramref name="text"/> names (null for "none"), or false with a problem naming the option.</summary>
    public static bool TryParse(string text, int seed, int devices, int samples, out ValidationData? spec, out string? problem)
    {
        spec = null;
        problem = null;
        var (kind, argument) = text.IndexOf(':') is var colon and > 0 ? (text[..colon], text[(colon + 1)..]) : (text, null);
        switch (kind)
        {
            case "none" when argument is null:
                return true;
            case "synthetic" or "synthetic-iid":
                var (alpha, beta) = (1.0, 1.0);
                if (argument is not null && (kind == "synthetic-iid" || !TryPair(argument, out alpha, out beta))) break;
                spec = new ValidationData { Kind = ValidationDataKind.Synthetic, Alpha = alpha, Beta = beta, Iid = kind == "synthetic-iid", Seed = seed, Devices = devices, Samples = samples };
                return true;
            case "mnist" when !string.IsNullOrWhiteSpace(argument):
                spec = new ValidationData { Kind = ValidationDataKind.Mnist, Path = argument, Samples = samples };
                return true;
            case "idx" when argument?.Split(',') is [{ Length: > 0 } images, { Length: > 0 } labels]:
                spec = new ValidationData { Kind = ValidationDataKind.Idx, Path = images, LabelsPath = labels, Samples = samples };
                return true;
        }
        problem = $"--validation '{text}' is not valid ({ValidForms})";
        return false;
    }

    private static bool TryPair(string text, out double alpha, out double beta)
    {
        alpha = beta = 0;
        var parts = text.Split(',');
        return parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out alpha) && alpha >= 0 && double.IsFinite(alpha)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out beta) && beta >= 0 && double.IsFinite(beta);
    }
}
