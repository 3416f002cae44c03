using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Data;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.ModelRegistry.Validation;

/// <summary>A task's validation data, or why it has none.</summary>
public sealed record ValidationSet(InMemoryDataset? Data, string? Reason);

/// <summary>Finds a task's validation data: the data its spec names, else a set registered in code (fl simulate), else none with the reason.</summary>
public sealed class ValidationSets(ValidationDataLoader loader, IValidationSetProvider registered, ILogger<ValidationSets> logger)
{
    public const string NoneNamed = "the task names no validation data (TaskSpec.Validation)";

    public ValidationSet For(string taskId, TaskSpec spec)
    {
        if (spec.Validation is not { } named)
            return registered.Find(taskId) is { } data ? new ValidationSet(data, null) : new ValidationSet(null, NoneNamed);
        try
        {
            return new ValidationSet(loader.Load(named, spec), null);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            logger.LogWarning("Task {TaskId}: validation data not loaded: {Reason}", taskId, e.Message);
            return new ValidationSet(null, $"validation data could not be loaded: {e.Message}");
        }
    }
}
