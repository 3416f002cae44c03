using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.ModelRegistry.Validation;

/// <summary>Where the model registry finds the files a task's validation data names; bound from the "Validation" section.</summary>
public sealed class ValidationDataOptions : IValidatableObject
{
    public const string Section = "Validation";

    /// <summary>The absolute folder every <see cref="Contracts.V1.ValidationData"/> path is resolved against; null: tasks may name only generated data.</summary>
    public string? DataRoot { get; set; }

    /// <summary>Validation sets kept loaded at once (least recently used ones are dropped).</summary>
    [Range(1, 1000)]
    public int CacheSize { get; set; } = 8;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (DataRoot is { Length: > 0 } root && !Path.IsPathFullyQualified(root))
            yield return new ValidationResult($"Validation:DataRoot '{root}' must be an absolute path (never resolved against the current directory).", [nameof(DataRoot)]);
    }
}
