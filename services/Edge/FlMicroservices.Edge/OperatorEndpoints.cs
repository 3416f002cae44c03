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

    /// <summary>Maps the endpoints: the reading ones and the ones that issue or revoke, in two groups for the caller to give their policies.</summary>
    public static (RouteGroupBuilder Read, RouteGroupBuilder Operate) MapEdgeOperatorApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var read = app.MapGroup(Base).WithTags("edge");
        read.MapGet("/enrolment-tokens", (Enrolments enrolments) => TypedResults.Ok(enrolments.Tokens.Select(t => t with { Hash = "" })))
            .WithName("ListEnrolmentTokens");
        read.MapGet("/nodes", (Enrolments enrolments) => TypedResults.Ok(enrolments.Nodes)).WithName("ListEdgeNodes");
        read.MapGet("/refusals", (Enrolments enrolments, int? limit) => TypedResults.Ok(enrolments.Refusals.TakeLast(Math.Clamp(limit ?? 100, 1, 10_000))))
            .WithName("ListEdgeRefusals");
        var operate = app.MapGroup(Base).WithTags("edge");
        operate.MapPost("/enrolment-tokens", IssueAsync).WithName("IssueEnrolmentToken");
        operate.MapDelete("/enrolment-tokens/{id}", async (string id, Enrolments enrolments, CancellationToken cancellationToken) =>
            await enrolments.RevokeTokenAsync(id, cancellationToken) ? Results.NoContent() : ApiProblems.NotFound("id", $"no enrolment token has id '{id}'"))
            .WithName("RevokeEnrolmentToken");
        operate.MapPost("/nodes/{nodeId}/revoke", RevokeAsync).WithName("RevokeEdgeNode");
        return (read, operate);
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
