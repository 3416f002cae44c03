using FlMicroservices.ServiceDefaults.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlMicroservices.Gateway.Host;

/// <summary>GET /api/audit: the audit log, newest first, for admins and auditors (docs/operator-api.md).</summary>
public static class AuditEndpoints
{
    public static RouteGroupBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/audit").WithTags("Audit");
        group.MapGet("/", ListAsync).WithName("ListAuditEntries")
            .WithSummary("Operator actions and refused calls, newest first: caller, roles, action, target, status, outcome, time; filter by caller, task.");
        return group;
    }

    private static async Task<Results<Ok<Page<AuditEntry>>, ProblemHttpResult>> ListAsync(AuditLog log, CancellationToken cancellationToken,
        string? caller = null, string? task = null, int offset = 0, int limit = 100)
    {
        if (ApiProblems.BadPage(offset, limit) is { } bad) return bad;
        if (task is not null && ApiProblems.BadId("task", task) is { } badTask) return badTask;
        var entries = (await log.ListAsync(cancellationToken))
            .Where(e => (caller is null || e.Caller == caller) && (task is null || e.Target.Split(' ').Contains($"task={task}")))
            .ToArray();
        return TypedResults.Ok(Page<AuditEntry>.Of(entries, offset, limit));
    }
}
