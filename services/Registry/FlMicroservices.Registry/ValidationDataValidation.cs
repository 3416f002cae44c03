using FlMicroservices.Contracts;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Registry;

/// <summary>The validation data a task names (<see cref="TaskSpec.Validation"/>) and the data set it asks clients for (<see cref="TaskSpec.Dataset"/>).</summary>
public static class ValidationDataValidation
{
    /// <summary>Most devices a synthetic validation set may be generated for.</summary>
    public const int MaxDevices = 10_000;

    public static void Validate(TaskSpec spec, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(problems);
        if (spec.Dataset is { } dataset && !Identifiers.IsValid(dataset))
            problems.Add($"Dataset '{dataset}' is not valid: {Identifiers.Rule}");
        if (spec.Validation is not { } validation) return;
        if (validation.Samples < 0) problems.Add($"Validation.Samples {validation.Samples} must be zero (all) or positive");
        var features = spec.SampleShape is { Length: > 0 } shape && shape.All(d => d > 0) ? shape.Aggregate(1L, (a, b) => a * b) : (long?)null;
        switch (validation.Kind)
        {
            case ValidationDataKind.Synthetic:
                if (!(validation.Alpha >= 0) || !double.IsFinite(validation.Alpha)) problems.Add($"Validation.Alpha {validation.Alpha} must be a finite number >= 0");
                if (!(validation.Beta >= 0) || !double.IsFinite(validation.Beta)) problems.Add($"Validation.Beta {validation.Beta} must be a finite number >= 0");
                if (validation.Devices is < 1 or > MaxDevices) problems.Add($"Validation.Devices {validation.Devices} must be in [1, {MaxDevices}]");
                RequireShape(features, spec.ClassCount, 60, "Synthetic", problems);
                NoPaths(validation, "Synthetic", problems);
                break;
            case ValidationDataKind.Mnist:
                CheckPath(validation.Path, "Path", problems);
                if (validation.LabelsPath is not null) problems.Add("Validation.LabelsPath applies to Kind Idx only (Mnist reads t10k-labels-idx1-ubyte from Path)");
                RequireShape(features, spec.ClassCount, 28 * 28, "Mnist", problems);
                break;
            case ValidationDataKind.Idx:
                CheckPath(validation.Path, "Path", problems);
                CheckPath(validation.LabelsPath, "LabelsPath", problems);
                break;
            default:
                problems.Add($"Validation.Kind {validation.Kind} is unknown (Synthetic, Mnist, Idx)");
                break;
        }
    }

    private static void RequireShape(long? features, int classes, int expectedFeatures, string kind, List<string> problems)
    {
        if (features is { } f && f != expectedFeatures)
            problems.Add($"Validation.Kind {kind} has samples of {expectedFeatures} features but SampleShape has {f}");
        if (classes != 10) problems.Add($"Validation.Kind {kind} has 10 classes but ClassCount is {classes}");
    }

    private static void NoPaths(ValidationData validation, string kind, List<string> problems)
    {
        if (validation.Path is not null || validation.LabelsPath is not null)
            problems.Add($"Validation.Path and LabelsPath do not apply to Kind {kind} (it is generated)");
    }

    /// <summary>A path relative to the model registry's validation data root, which it cannot leave.</summary>
    private static void CheckPath(string? path, string field, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(path)) { problems.Add($"Validation.{field} is required (a path under the model registry's Validation:DataRoot)"); return; }
        var segments = path.Split('/', '\\');
        if (Path.IsPathRooted(path) || path.Contains(':', StringComparison.Ordinal) || segments.Any(s => s == ".."))
            problems.Add($"Validation.{field} '{path}' must be relative to the model registry's Validation:DataRoot, without '..'");
        else if (path.Length > 512 || path.Any(char.IsControl))
            problems.Add($"Validation.{field} must be at most 512 printable characters");
    }
}
