using FlMicroservices.Infrastructure.Models;
using FlMicroservices.ServiceDefaults.Api;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlMicroservices.ModelRegistry.Host;

/// <summary>Promote or roll back by hand: the version becomes current, the record says an operator did it, the next round trains from it (docs/model-lifecycle.md).</summary>
public static class ModelPromotionEndpoints
{
    /// <summary>Maps promote and roll back; returns their group (operating, not reading) for an authorization policy to attach to.</summary>
    public static RouteGroupBuilder MapModelPromotions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(ModelVersionEndpoints.Prefix).WithTags("Model versions");
        group.MapPost("/{version:int}/promote", PromoteAsync).WithName("PromoteModelVersion")
            .WithSummary("Makes the version current; the next round trains from it. Body or query: reason (optional).");
        group.MapPost("/rollback", RollbackAsync).WithName("RollBackModel")
            .WithSummary("Makes an earlier version current (to; default the best validated version); the next round trains from it.");
        return group;
    }

    private static async Task<Results<Ok<PromotionResult>, ProblemHttpResult>> PromoteAsync(string taskId, int version, PromotionRequest? body,
        TaskModels tasks, IModelStore store, ModelPromotion promotion, IPublishEndpoint publish, CancellationToken cancellationToken, string? reason = null)
    {
        if (body?.To is { } to && to != version)
            return ApiProblems.Problem(400, "to", $"to {to} in the body differs from version {version} in the path; leave it out");
        return await ApplyAsync(taskId, version, "version", ModelPromotion.Promote, body?.Reason ?? reason, tasks, store, promotion, publish, cancellationToken);
    }

    private static async Task<Results<Ok<PromotionResult>, ProblemHttpResult>> RollbackAsync(string taskId, PromotionRequest? body,
        TaskModels tasks, IModelStore store, ModelPromotion promotion, IPublishEndpoint publish, CancellationToken cancellationToken, int? to = null, string? reason = null)
    {
        if (body?.To is { } bodyTo && to is { } queryTo && bodyTo != queryTo)
            return ApiProblems.Problem(400, "to", $"to {bodyTo} in the body differs from to {queryTo} in the query");
        var target = body?.To ?? to;
        if (target is null && ApiProblems.BadId("taskId", taskId) is null && tasks.Find(taskId) is not null)
        {
            target = ModelVersionEndpoints.Best(await store.ListVersionsAsync(taskId, cancellationToken))?.Version;
            if (target is null)
                return ApiProblems.Problem(400, "to", $"task '{taskId}' has no validated version to roll back to; name one with to");
        }
        return await ApplyAsync(taskId, target ?? 0, "to", ModelPromotion.Rollback, body?.Reason ?? reason, tasks, store, promotion, publish, cancellationToken);
    }

    private static async Task<Results<Ok<PromotionResult>, ProblemHttpResult>> ApplyAsync(string taskId, int version, string field, string kind, string? reason,
        TaskModels tasks, IModelStore store, ModelPromotion promotion, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        if (ApiProblems.BadId("taskId", taskId) is { } badTask) return badTask;
        if (version < 0) return ApiProblems.Problem(400, field, $"{field} {version} is not a model version: versions start at 0");
        if (reason is { Length: > 500 }) return ApiProblems.Problem(400, "reason", $"reason is {reason.Length} characters long; at most 500");
        if (tasks.Find(taskId) is not { } entry) return ApiProblems.Problem(404, "taskId", $"task '{taskId}' is not known to this model registry");
        if (await store.GetVersionAsync(taskId, version, cancellationToken) is not { } info)
            return ApiProblems.Problem(404, field, $"task '{taskId}' has no model version {version}");
        return TypedResults.Ok(await promotion.ApplyAsync(entry, info, kind, reason, publish, cancellationToken));
    }
}

/// <summary>The optional body of promote and roll back: the target version (roll back) and why.</summary>
public sealed record PromotionRequest(int? To = null, string? Reason = null);
