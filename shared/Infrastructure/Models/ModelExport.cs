using System.Text.Json;
using System.Text.Json.Serialization;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Infrastructure.Models;

/// <summary>Writes one stored version as a folder a user can take away: weights.bin plus manifest.json (docs/model-lifecycle.md).</summary>
public static class ModelExport
{
    public const string WeightsFileName = "weights.bin";
    public const string ManifestFileName = "manifest.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Exports <paramref name="version"/> of <paramref name="spec"/>'s task into <paramref name="folder"/> (created; files replaced atomically).</summary>
    /// <exception cref="KeyNotFoundException">The task has no such version.</exception>
    public static async Task<ModelManifest> WriteAsync(IModelVersionReader store, string taskId, TaskSpec spec, int version, string folder,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spec);
        var info = await store.GetVersionAsync(taskId, version, cancellationToken)
            ?? throw new KeyNotFoundException($"Task '{taskId}' has no model version {version}.");
        var weights = await store.LoadWeightsAsync(taskId, version, cancellationToken);
        var lineage = new List<int>();
        for (var parent = info.ParentVersion; parent is { } p && !lineage.Contains(p); )
        {
            lineage.Add(p);
            parent = (await store.GetVersionAsync(taskId, p, cancellationToken))?.ParentVersion;
        }
        var manifest = new ModelManifest(taskId, spec.ModelName, spec.SampleShape, spec.ClassCount, spec.Strategy, info.Version, info.Round,
            info.ParentVersion, [.. lineage], info.ParameterCount, info.Digest, info.Accuracy, info.Loss, info.RolledBack, info.CreatedAt, WeightsFileName);
        Directory.CreateDirectory(folder);
        await WeightsFile.WriteAtomicAsync(Path.Combine(folder, WeightsFileName), WeightsFile.Encode(weights), cancellationToken);
        await WeightsFile.WriteAtomicAsync(Path.Combine(folder, ManifestFileName), JsonSerializer.SerializeToUtf8Bytes(manifest, Json), cancellationToken);
        return manifest;
    }
}

/// <summary>What an exported model is: enough to load and check its weights without the platform.</summary>
/// <param name="Lineage">Ancestors, nearest first (parent, grandparent, ... down to the initial version).</param>
/// <param name="Digest">SHA-256 of the weights as stored (WeightsFile.Digest).</param>
/// <param name="WeightsFile">The weights file beside the manifest, in the store's format ("FLW1", the count, then little-endian float32; SCAFFOLD: the model followed by its control variate).</param>
public sealed record ModelManifest(
    [property: JsonPropertyName("task_id")] string TaskId,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("sample_shape")] int[] SampleShape,
    [property: JsonPropertyName("classes")] int Classes,
    [property: JsonPropertyName("strategy")] string Strategy,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("round")] int Round,
    [property: JsonPropertyName("parent_version")] int? ParentVersion,
    [property: JsonPropertyName("lineage")] int[] Lineage,
    [property: JsonPropertyName("parameter_count")] int ParameterCount,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("accuracy")] double? Accuracy,
    [property: JsonPropertyName("loss")] double? Loss,
    [property: JsonPropertyName("rolled_back")] bool RolledBack,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("weights_file")] string WeightsFile);
