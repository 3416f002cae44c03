namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>One operator action as the gateway saw it: who (name and roles), what (method, route, target), the answer and when.</summary>
/// <param name="Action">The route with its ids as placeholders, e.g. "POST /api/tasks/{taskId}/pause".</param>
/// <param name="Target">The ids the call named ("task=t1 version=3"), or "-".</param>
/// <param name="Status">The HTTP status the operator got.</param>
/// <param name="Outcome">done, refused (401, 403, 429), rejected (another 4xx) or failed (5xx).</param>
public sealed record AuditEntry(string Id, DateTimeOffset At, string Caller, string Roles, string Action, string Target, string Path, int Status, string Outcome);
