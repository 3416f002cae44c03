using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Infrastructure;

/// <summary>Validates an options object at start-up so that a bad setting stops the service with a message naming it.</summary>
public static class OptionsValidation
{
    public static void ThrowIfInvalid(object options, string section)
    {
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true)) return;
        var problems = string.Join("; ", results.Select(r => $"{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        throw new InvalidOperationException($"Invalid configuration: {problems}");
    }
}
