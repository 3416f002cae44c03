using FlMicroservices.Contracts.Edge;
using FlMicroservices.ServiceDefaults.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Edge;

/// <summary>The operator's part of the edge under /api/edge: enrolment tokens, enrolled nodes, revocation and refusals.</summary>
public static class OperatorEndpoints
{
    public const string Base = "/api/edge";

    public static RouteGroupBuilder MapEdgeOperatorApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup(Base).WithTags("edge");
        api.MapPost("/enrolment-tokens", IssueAsync);
        api.MapGet("/enrolment-tokens", (Enrolments enrolments) => TypedResults.Ok(enrolments.Tokens.Select(t => t with { Hash = "" })));
        api.MapDelete("/enrolment-tokens/{id}", async (string id, Enrolments enrolments, CancellationToken cancellationToken) =>
            await enrolments.RevokeTokenAsync(id, cancellationToken) ? Results.NoContent() : ApiProblems.NotFound("id", $"no enrolment token has id '{id}'"));
        api.MapGet("/nodes", (Enrolments enrolments) => TypedResults.Ok(enrolments.Nodes));
        api.MapPost("/nodes/{nodeId}/revoke", RevokeAsync);
        api.MapGet("/refusals", (Enrolments enrolments, int? limit) => TypedResults.Ok(enrolments.Refusals.TakeLast(Math.Clamp(limit ?? 100, 1, 10_000))));
        return api;
    }

    private static async Task<IResult> IssueAsync(EnrolmentTokenRequest request, Enrolments enrolments, IOptions<EdgeOptions> options, CancellationToken cancellationToken)
    {
        var max = options.Value.MaxClientsPerNode;
        if (request.Clients < 1 || request.Clients > max)
            return ApiProblems.Problem(StatusCodes.Status400BadRequest, "clients", $"clients {request.Clients} must be in [1, {max}]");
        if (request.LifetimeHours is { } hours && !(hours > 0 && hours <= 24 * 30))
            return ApiProblems.Problem(StatusCodes.Status400BadRequest, "lifetimeHours", $"lifetimeHours {hours} must be in (0, 720]");
        var issued = await enrolments.IssueAsync(request.Clients, request.LifetimeHours is { } h ? TimeSpan.FromHours(h) : null, cancellationToken);
        return TypedResults.Created($"{Base}/enrolment-tokens/{issued.Id}", issued);
    }

    private static async Task<IResult> RevokeAsync(string nodeId, RevokeNode request, Enrolments enrolments, CancellationToken cancellationToken)
    {
        if (ApiProblems.BadId("nodeId", nodeId) is { } bad) return bad;
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 500)
            return ApiProblems.Problem(StatusCodes.Status400BadRequest, "reason", "a reason of 1 to 500 characters is required");
        return await enrolments.RevokeNodeAsync(nodeId, request.Reason, cancellationToken)
            ? Results.NoContent()
            : ApiProblems.NotFound("nodeId", $"no node '{nodeId}' is enrolled");
    }

    /// <summary>Why a node is revoked.</summary>
    public sealed record RevokeNode(string Reason);
}
