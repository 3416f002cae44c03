using FlMicroservices.Contracts;
using FlMicroservices.Infrastructure.Models;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlMicroservices.ModelRegistry.Host;

/// <summary>The download API nodes use instead of the model store: a version's weights with their digest, and its metadata.</summary>
public static class ModelDownloadEndpoints
{
    public static IEndpointRouteBuilder MapModelDownloads(this IEndpointRouteBuilder app)
    {
        // Nodes download models without an operator token; their identity belongs to the node edge (issue 13, item 2).
        app.MapGet(ModelDownload.WeightsRoute, WeightsAsync).AllowAnonymous();
        app.MapGet(ModelDownload.InfoRoute, InfoAsync).AllowAnonymous();
        return app;
    }

    private static async Task<Results<FileContentHttpResult, NotFound<string>, BadRequest<string>>> WeightsAsync(
        string taskId, int version, IModelStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        if (Invalid(taskId, version) is { } problem) return TypedResults.BadRequest(problem);
        if (await store.GetVersionAsync(taskId, version, cancellationToken) is null) return TypedResults.NotFound(Missing(taskId, version));
        var weights = await store.LoadWeightsAsync(taskId, version, cancellationToken);
        response.Headers[ModelDownload.DigestHeader] = WeightsFile.Digest(weights);
        return TypedResults.File(WeightsFile.Encode(weights), ModelDownload.ContentType);
    }

    private static async Task<Results<Ok<ModelVersionInfo>, NotFound<string>, BadRequest<string>>> InfoAsync(
        string taskId, int version, IModelStore store, CancellationToken cancellationToken)
    {
        if (Invalid(taskId, version) is { } problem) return TypedResults.BadRequest(problem);
        return await store.GetVersionAsync(taskId, version, cancellationToken) is { } info
            ? TypedResults.Ok(info)
            : TypedResults.NotFound(Missing(taskId, version));
    }

    private static string? Invalid(string taskId, int version) =>
        !Identifiers.IsValid(taskId) ? $"task id '{taskId}' is not valid: {Identifiers.Rule}"
        : version < 0 ? $"model version {version} is not valid: versions start at 0"
        : null;

    private static string Missing(string taskId, int version) => $"task '{taskId}' has no model version {version} in this model registry";
}
