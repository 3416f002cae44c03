namespace FlMicroservices.Infrastructure.Models;

/// <summary>Reads stored model versions: what a node needs to train a round (from the store, or over HTTP from the model registry).</summary>
public interface IModelVersionReader
{
    /// <summary>The version's metadata; null when the task has no such version.</summary>
    Task<ModelVersionInfo?> GetVersionAsync(string taskId, int version, CancellationToken cancellationToken);

    /// <summary>The version's weights; <see cref="KeyNotFoundException"/> when the task has no such version.</summary>
    Task<float[]> LoadWeightsAsync(string taskId, int version, CancellationToken cancellationToken);
}

/// <summary>Model versions of every task: metadata, weights, which version is current, and round candidates.</summary>
public interface IModelStore : IModelVersionReader
{
    /// <summary>Stores a version; a version number is written once and never changes.</summary>
    Task SaveVersionAsync(ModelVersionInfo info, ReadOnlyMemory<float> weights, CancellationToken cancellationToken);

    Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>The version clients train from; null before the task's first version.</summary>
    Task<int?> GetCurrentVersionAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>Points the task at <paramref name="version"/> (publishing a new version or rolling back to an old one).</summary>
    Task SetCurrentVersionAsync(string taskId, int version, CancellationToken cancellationToken);

    /// <summary>Keeps an aggregated candidate until the registry validates it; returns a reference for events.</summary>
    Task<string> SaveCandidateAsync(string taskId, int round, ReadOnlyMemory<float> weights, CancellationToken cancellationToken);

    Task<float[]> LoadCandidateAsync(string reference, CancellationToken cancellationToken);
}

/// <summary>Metadata of one stored model version.</summary>
public sealed record ModelVersionInfo(
    string TaskId,
    int Version,
    int Round,
    int? ParentVersion,
    int ParameterCount,
    string Digest,
    double? Accuracy,
    double? Loss,
    bool RolledBack,
    DateTimeOffset CreatedAt);
