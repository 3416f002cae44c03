using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>Middleware that records every operator call that changes something, and every call refused for its token or role, in the audit log.</summary>
public sealed class AuditRecorder(RequestDelegate next, AuditLog log, TimeProvider clock, ILogger<AuditRecorder> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await next(context);
        var request = context.Request;
        var status = context.Response.StatusCode;
        if (!request.Path.StartsWithSegments("/api")) return;
        var changes = !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method);
        if (!changes && status is not (StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)) return;
        var (action, target) = Describe(request.Method, request.Path.Value ?? "");
        var at = clock.GetUtcNow();
        var entry = new AuditEntry(AuditLog.NewId(at), at, OperatorCaller.NameOf(context.User), OperatorCaller.RolesOf(context.User),
            action, target, request.Path.Value ?? "", status, OutcomeOf(status));
        logger.LogInformation("audit: {Caller} ({Roles}) {Action} {Target}: {Status} {Outcome}", entry.Caller, entry.Roles, action, target, status, entry.Outcome);
        try { await log.RecordAsync(entry, CancellationToken.None); } // recorded even when the caller hung up
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "audit: the entry for {Caller} {Action} {Target} could not be stored", entry.Caller, action, target);
        }
    }

    public static string OutcomeOf(int status) => status switch
    {
        < 400 => "done",
        StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden or StatusCodes.Status429TooManyRequests => "refused",
        < 500 => "rejected",
        _ => "failed",
    };

    /// <summary>The route with ids as placeholders, and the ids: "/api/tasks/t1/models/3/promote" is "{taskId}/models/{version}/promote", "task=t1 version=3".</summary>
    public static (string Action, string Target) Describe(string method, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var named = new List<string>();
        for (var i = 1; i < segments.Length; i++)
        {
            var placeholder = segments[i - 1] switch
            {
                "tasks" => "taskId",
                "clients" => "clientId",
                "models" when int.TryParse(segments[i], out _) => "version",
                "rounds" => "round",
                "nodes" => "nodeId",
                "enrolment-tokens" => "tokenId",
                _ => null,
            };
            if (placeholder is null) continue;
            named.Add($"{placeholder switch { "taskId" => "task", "clientId" => "client", "nodeId" => "node", "tokenId" => "token", _ => placeholder }}={segments[i]}");
            segments[i] = $"{{{placeholder}}}";
        }
        return ($"{method.ToUpperInvariant()} /{string.Join('/', segments)}", named.Count == 0 ? "-" : string.Join(' ', named));
    }
}
