using FlMicroservices.ServiceDefaults.Api;
using Microsoft.AspNetCore.Http;

namespace FlMicroservices.Edge;

/// <summary>Problem documents (RFC 9457) the edge writes outside an endpoint's result: authentication, rate limits, failed uploads.</summary>
public static class EdgeProblems
{
    /// <summary>Writes a problem naming <paramref name="field"/> and the reason; nothing when the response has started.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string field, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = status;
        await ApiProblems.Problem(status, field, detail).ExecuteAsync(context);
    }
}
