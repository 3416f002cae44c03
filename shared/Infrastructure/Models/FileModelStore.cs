using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlMicroservices.Contracts;

namespace FlMicroservices.Infrastructure.Models;

/// <summary>The embedded model store: one folder per task under a root directory; survives restarts.</summary>
/// <remarks>
/// Layout: ROOT/TASK/versions/000001.weights + 000001.json, ROOT/TASK/current.json,
/// ROOT/TASK/candidates/round-000001.weights. Every file is written atomically.
/// </remarks>
public sealed partial class FileModelStore : IModelStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly string _root;

    public FileModelStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public string Root => _root;

    public async Task SaveVersionAsync(ModelVersionInfo info, ReadOnlyMemory<float> weights, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.Version < 0) throw new ArgumentOutOfRangeException(nameof(info), info.Version, "Model versions start at 0.");
        if (info.ParameterCount != weights.Length)
            throw new ArgumentException($"Version {info.Version} declares {info.ParameterCount} parameters but {weights.Length} were given.", nameof(weights));
        var metaPath = VersionPath(info.TaskId, info.Version, ".json");
        if (File.Exists(metaPath))
            throw new InvalidOperationException($"Task '{info.TaskId}' already has a version {info.Version}; versions are immutable.");
        await WeightsFile.WriteAtomicAsync(VersionPath(info.TaskId, info.Version, ".weights"), WeightsFile.Encode(weights.Span), cancellationToken).ConfigureAwait(false);
        // Metadata last: a version exists once its metadata does.
        await WeightsFile.WriteAtomicAsync(metaPath, JsonSerializer.SerializeToUtf8Bytes(info, Json), cancellationToken).ConfigureAwait(false);
    }

    public async Task<ModelVersionInfo?> GetVersionAsync(string taskId, int version, CancellationToken cancellationToken)
    {
        var path = VersionPath(taskId, version, ".json");
        if (!File.Exists(path)) return null;
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<ModelVersionInfo>(stream, Json, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string taskId, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(TaskDir(taskId), "versions");
        if (!Directory.Exists(dir)) return [];
        var result = new List<ModelVersionInfo>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            if (!int.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var version)) continue;
            var info = await GetVersionAsync(taskId, version, cancellationToken).ConfigureAwait(false);
            if (info is not null) result.Add(info);
        }
        return result;
    }

    public async Task<float[]> LoadWeightsAsync(string taskId, int version, CancellationToken cancellationToken)
    {
        var path = VersionPath(taskId, version, ".weights");
        if (!File.Exists(path) || !File.Exists(VersionPath(taskId, version, ".json")))
            throw new KeyNotFoundException($"Task '{taskId}' has no model version {version} in {_root}.");
        return WeightsFile.Decode(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), path);
    }

    public async Task<int?> GetCurrentVersionAsync(string taskId, CancellationToken cancellationToken)
    {
        var path = Path.Combine(TaskDir(taskId), "current.json");
        if (!File.Exists(path)) return null;
        await using var stream = File.OpenRead(path);
        var pointer = await JsonSerializer.DeserializeAsync<CurrentPointer>(stream, Json, cancellationToken).ConfigureAwait(false);
        return pointer?.Version;
    }

    public async Task SetCurrentVersionAsync(string taskId, int version, CancellationToken cancellationToken)
    {
        if (!File.Exists(VersionPath(taskId, version, ".json")))
            throw new KeyNotFoundException($"Task '{taskId}' has no model version {version} to make current.");
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new CurrentPointer(version), Json);
        await WeightsFile.WriteAtomicAsync(Path.Combine(TaskDir(taskId), "current.json"), bytes, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> SaveCandidateAsync(string taskId, int round, ReadOnlyMemory<float> weights, CancellationToken cancellationToken)
    {
        var reference = $"{CheckId(taskId)}/candidates/round-{round.ToString("D6", CultureInfo.InvariantCulture)}.weights";
        await WeightsFile.WriteAtomicAsync(Path.Combine(_root, reference), WeightsFile.Encode(weights.Span), cancellationToken).ConfigureAwait(false);
        return reference;
    }

    public async Task<float[]> LoadCandidateAsync(string reference, CancellationToken cancellationToken)
    {
        if (!CandidateReference().IsMatch(reference))
            throw new ArgumentException($"'{reference}' is not a candidate reference of this store.", nameof(reference));
        var path = Path.Combine(_root, reference);
        if (!File.Exists(path)) throw new KeyNotFoundException($"Candidate '{reference}' is not in {_root}.");
        return WeightsFile.Decode(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), path);
    }

    private string TaskDir(string taskId) => Path.Combine(_root, CheckId(taskId));

    private string VersionPath(string taskId, int version, string extension) =>
        Path.Combine(TaskDir(taskId), "versions", version.ToString("D6", CultureInfo.InvariantCulture) + extension);

    private static string CheckId(string taskId) => Identifiers.Check(taskId, "Task id");

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}/candidates/round-\d{6,}\.weights$")]
    private static partial Regex CandidateReference();

    private sealed record CurrentPointer(int Version);
}
