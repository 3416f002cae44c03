using FlMicroservices.Core.Data;

namespace FlMicroservices.ModelRegistry;

/// <summary>The server's held-out data for a task, on which every new global model is evaluated.</summary>
public interface IValidationSetProvider
{
    /// <summary>The validation set of the task, or null when the server has none (versions are then stored unevaluated).</summary>
    InMemoryDataset? Find(string taskId);
}

/// <summary>Validation sets registered in code, by task id (or one for every task).</summary>
public sealed class FixedValidationSets(IReadOnlyDictionary<string, InMemoryDataset> byTask, InMemoryDataset? fallback = null) : IValidationSetProvider
{
    public InMemoryDataset? Find(string taskId) => byTask.GetValueOrDefault(taskId) ?? fallback;
}
