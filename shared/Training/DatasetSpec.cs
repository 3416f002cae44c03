using System.Globalization;

namespace FlMicroservices.Training;

/// <summary>A parsed --dataset value.</summary>
public sealed record DatasetSpec(string Kind, double Alpha, double Beta, bool Iid)
{
    public const string ValidForms = "synthetic, synthetic:ALPHA,BETA, synthetic-iid, mnist";

    public static bool TryParse(string? text, out DatasetSpec? spec, out string? problem)
    {
        spec = null;
        problem = null;
        switch (text)
        {
            case "synthetic": spec = new("synthetic", 1, 1, false); return true;
            case "synthetic-iid": spec = new("synthetic", 0, 0, true); return true;
            case "mnist": spec = new("mnist", 0, 0, false); return true;
        }
        if (text is not null && text.StartsWith("synthetic:", StringComparison.Ordinal))
        {
            var parts = text["synthetic:".Length..].Split(',');
            if (parts.Length == 2
                && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var alpha) && alpha >= 0
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var beta) && beta >= 0)
            {
                spec = new("synthetic", alpha, beta, false);
                return true;
            }
        }
        problem = $"--dataset '{text}' is not valid (valid: {ValidForms})";
        return false;
    }
}
