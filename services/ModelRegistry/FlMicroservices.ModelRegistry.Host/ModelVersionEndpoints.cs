using System.IO.Compression;
using FlMicroservices.Contracts;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.ServiceDefaults.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlMicroservices.ModelRegistry.Host;

/// <summary>The operator API of model versions: list with metrics, one version with its lineage, compare two, export (docs/operator-api.md).</summary>
public static class ModelVersionEndpoints
{
    public const string Prefix = "/api/tasks/{taskId}/models";
    public const int MaxPageSize = ApiProblems.MaxPageSize;

    public static RouteGroupBuilder MapModelVersions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix).WithTags("Model versions");
        group.MapGet("/", ListAsync).WithName("ListModelVersions").WithSummary("The task's model versions with metrics, current and best, one page at a time.");
        group.MapGet("/{version:int}", GetAsync).WithName("GetModelVersion").WithSummary("One version with its lineage (parent, grandparent, ... to version 0).");
        group.MapGet("/compare", CompareAsync).WithName("CompareModelVersions").WithSummary("Two versions' metrics side by side and their difference (b - a).");
        group.MapGet("/{version:int}/export", ExportAsync).WithName("ExportModelVersion").WithSummary("A zip with weights.bin and manifest.json (model, shape, classes, lineage, metrics, digest).");
        return group;
    }

    private static async Task<Results<Ok<ModelVersionPage>, ProblemHttpResult>> ListAsync(string taskId, IModelStore store, TaskModels tasks,
        CancellationToken cancellationToken, int offset = 0, int limit = 100)
    {
        if ((BadTask(taskId) ?? ApiProblems.BadPage(offset, limit)) is { } bad) return bad;
        var versions = await store.ListVersionsAsync(taskId, cancellationToken);
        if (versions.Count == 0) return UnknownTask(taskId);
        var current = await store.GetCurrentVersionAsync(taskId, cancellationToken);
        var best = Best(versions);
        return TypedResults.Ok(new ModelVersionPage(taskId, current, best?.Version, best?.Accuracy, versions.Count, offset, limit,
            [.. versions.Skip(offset).Take(limit).Select(v => Summary(v, current, best))], [.. tasks.Find(taskId)?.Promotions ?? []]));
    }

    private static async Task<Results<Ok<ModelVersionDetail>, ProblemHttpResult>> GetAsync(string taskId, int version, IModelStore store, TaskModels tasks,
        CancellationToken cancellationToken)
    {
        if ((BadTask(taskId) ?? BadVersion("version", version)) is { } bad) return bad;
        var versions = await store.ListVersionsAsync(taskId, cancellationToken);
        if (versions.Count == 0) return UnknownTask(taskId);
        if (versions.FirstOrDefault(v => v.Version == version) is not { } info) return MissingVersion(taskId, version);
        var current = await store.GetCurrentVersionAsync(taskId, cancellationToken);
        var byVersion = versions.ToDictionary(v => v.Version);
        var lineage = new List<int>();
        for (var parent = info.ParentVersion; parent is { } p && byVersion.ContainsKey(p) && !lineage.Contains(p); parent = byVersion[p].ParentVersion)
            lineage.Add(p);
        return TypedResults.Ok(new ModelVersionDetail(Summary(info, current, Best(versions)), [.. lineage], info.ParameterCount,
            [.. tasks.Find(taskId)?.Promotions.Where(p => p.Version == version) ?? []]));
    }

    private static async Task<Results<Ok<ModelVersionComparison>, ProblemHttpResult>> CompareAsync(string taskId, int? a, int? b, IModelStore store,
        CancellationToken cancellationToken)
    {
        if (BadTask(taskId) is { } bad) return bad;
        if (a is null) return Problem(400, "a", "query parameter a (the first version) is required");
        if (b is null) return Problem(400, "b", "query parameter b (the second version) is required");
        if ((BadVersion("a", a.Value) ?? BadVersion("b", b.Value)) is { } badVersion) return badVersion;
        var versions = await store.ListVersionsAsync(taskId, cancellationToken);
        if (versions.Count == 0) return UnknownTask(taskId);
        var first = versions.FirstOrDefault(v => v.Version == a);
        var second = versions.FirstOrDefault(v => v.Version == b);
        if (first is null) return MissingVersion(taskId, a.Value);
        if (second is null) return MissingVersion(taskId, b.Value);
        var current = await store.GetCurrentVersionAsync(taskId, cancellationToken);
        var best = Best(versions);
        return TypedResults.Ok(new ModelVersionComparison(Summary(first, current, best), Summary(second, current, best),
            second.Accuracy - first.Accuracy, second.Loss - first.Loss));
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportAsync(string taskId, int version, IModelStore store,
        TaskModels tasks, CancellationToken cancellationToken)
    {
        if ((BadTask(taskId) ?? BadVersion("version", version)) is { } bad) return bad;
        if (tasks.Find(taskId)?.Spec is not { } spec) return UnknownTask(taskId);
        if (await store.GetVersionAsync(taskId, version, cancellationToken) is null) return MissingVersion(taskId, version);
        var folder = Directory.CreateTempSubdirectory("fl-export-").FullName;
        try
        {
            await ModelExport.WriteAsync(store, taskId, spec, version, folder, cancellationToken);
            using var zip = new MemoryStream();
            await ZipFile.CreateFromDirectoryAsync(folder, zip, CompressionLevel.Fastest, includeBaseDirectory: false, cancellationToken);
            return TypedResults.File(zip.ToArray(), "application/zip", $"{taskId}-v{version}.zip");
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    // The best validated version: highest accuracy, the earliest on a tie; null when nothing was evaluated.
    internal static ModelVersionInfo? Best(IReadOnlyList<ModelVersionInfo> versions) =>
        versions.Where(v => v.Accuracy is not null).OrderByDescending(v => v.Accuracy).ThenBy(v => v.Version).FirstOrDefault();

    private static ModelVersionSummary Summary(ModelVersionInfo v, int? current, ModelVersionInfo? best) =>
        new(v.Version, v.Round, v.ParentVersion, v.Accuracy, v.Loss, v.RolledBack, v.Digest, v.CreatedAt, v.Version == current, v.Version == best?.Version);

    private static ProblemHttpResult? BadTask(string taskId) => ApiProblems.BadId("taskId", taskId);

    private static ProblemHttpResult? BadVersion(string field, int version) =>
        version < 0 ? Problem(400, field, $"{field} {version} is not a model version: versions start at 0") : null;

    private static ProblemHttpResult UnknownTask(string taskId) => Problem(404, "taskId", $"task '{taskId}' has no model versions in this model registry");

    private static ProblemHttpResult MissingVersion(string taskId, int version) => Problem(404, "version", $"task '{taskId}' has no model version {version}");

    private static ProblemHttpResult Problem(int status, string field, string detail) => ApiProblems.Problem(status, field, detail);
}

/// <summary>One page of a task's versions, and every version operators made current (promote, roll back) in order.</summary>
public sealed record ModelVersionPage(string TaskId, int? CurrentVersion, int? BestVersion, double? BestAccuracy, int Total, int Offset, int Limit,
    ModelVersionSummary[] Items, OperatorPromotion[]? Promotions = null);

/// <summary>A version's metrics and role.</summary>
public sealed record ModelVersionSummary(int Version, int Round, int? ParentVersion, double? Accuracy, double? Loss, bool RolledBack, string Digest,
    DateTimeOffset CreatedAt, bool Current, bool Best);

/// <summary>A version with its ancestors, nearest first, and the times an operator made it current.</summary>
public sealed record ModelVersionDetail(ModelVersionSummary Version, int[] Lineage, int ParameterCount, OperatorPromotion[]? Promotions = null);

/// <summary>Two versions and the difference of their metrics (b - a).</summary>
public sealed record ModelVersionComparison(ModelVersionSummary A, ModelVersionSummary B, double? AccuracyDelta, double? LossDelta);
