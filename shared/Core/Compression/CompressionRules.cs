using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation.Robust;

namespace FlMicroservices.Core.Compression;

/// <summary>Which compressions a task's other settings compose with (docs/compression.md, "What composes").</summary>
public static class CompressionRules
{
    /// <summary>Why <paramref name="spec"/>'s compression cannot run with its other settings, naming both; null when it can.</summary>
    public static string? Problem(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Problem(spec.Compression, spec.Privacy, spec.Strategy);
    }

    /// <summary>Why <paramref name="compressionText"/> cannot run with the task's privacy and strategy; null when it can.</summary>
    public static string? Problem(string? compressionText, PrivacyConfig? privacy, string? strategy)
    {
        CompressionSpec compression;
        try { compression = CompressionSpec.Parse(compressionText); }
        catch (ArgumentException e) { return e.Message.Split(" (Parameter")[0]; }
        if (compression.IsNone) return null;
        if (privacy?.IsSecureAggregation == true)
            return $"Compression '{compression}' cannot be combined with secure aggregation ({privacy.SecureAggregation}): masked updates are " +
                "uniform values in Z_2^32, which no coding shrinks, and the masks cancel only when every client sends every coordinate; use 'none'";
        if (compression.IsSparse && RobustStrategies.IsRobust(strategy ?? ""))
            return $"Compression '{compression}' cannot be combined with strategy '{strategy}': top-k updates of honest clients share few " +
                "coordinates, so distances (Krum, Bulyan) and per-coordinate medians or trimmed means see mostly zeros; use q8, q4 or zstd";
        return null;
    }
}
