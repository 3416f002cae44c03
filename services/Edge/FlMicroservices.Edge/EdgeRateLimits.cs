using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using FlMicroservices.ServiceDefaults.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Edge;

/// <summary>Per-node token buckets for uploads and for other requests, and a per-address window on enrolment attempts.</summary>
/// <remarks>Applied as endpoint filters, after authorization, so a node's limits are keyed by its authenticated name whatever the
/// middleware order of the operator API's own limiter.</remarks>
public sealed class EdgeRateLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string> _uploads;
    private readonly PartitionedRateLimiter<string> _requests;
    private readonly PartitionedRateLimiter<string> _enrol;

    public EdgeRateLimits(IOptions<EdgeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var edge = options.Value;
        _uploads = Buckets(edge.UploadsPerSecond, edge.UploadBurst);
        _requests = Buckets(edge.RequestsPerSecond, edge.RequestBurst);
        _enrol = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetFixedWindowLimiter(caller,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = edge.EnrolmentsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
    }

    /// <summary>Which limit an endpoint takes.</summary>
    public enum Kind { Uploads, Requests, Enrol }

    public void Dispose()
    {
        _uploads.Dispose();
        _requests.Dispose();
        _enrol.Dispose();
    }

    private async ValueTask<object?> LimitAsync(Kind kind, EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var caller = http.User.FindFirstValue(ClaimTypes.NameIdentifier) is { } node ? "node " + node : "address " + http.Connection.RemoteIpAddress;
        var limiter = kind switch { Kind.Uploads => _uploads, Kind.Requests => _requests, _ => _enrol };
        using var lease = limiter.AttemptAcquire(caller);
        if (lease.IsAcquired) return await next(context);
        var seconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var reason = $"{caller} exceeded the edge's {kind.ToString().ToLowerInvariant()} rate limit; retry after {seconds} s";
        if (kind != Kind.Enrol) await http.RequestServices.GetRequiredService<Enrolments>().RecordRefusalAsync(caller[5..], $"{http.Request.Method} {http.Request.Path}", reason, http.RequestAborted);
        return ApiProblems.Problem(StatusCodes.Status429TooManyRequests, "rate", reason);
    }

    private static PartitionedRateLimiter<string> Buckets(double perSecond, int burst)
    {
        // Refill in steps of at least one token, every 1/perSecond seconds (at most 100 steps a second).
        var period = TimeSpan.FromSeconds(Math.Clamp(1 / perSecond, 0.01, 3600));
        var tokens = Math.Max(1, (int)Math.Round(perSecond * period.TotalSeconds));
        return PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst, TokensPerPeriod = tokens, ReplenishmentPeriod = period, QueueLimit = 0, AutoReplenishment = true,
        }));
    }

    /// <summary>Adds the limit of <paramref name="kind"/> to an endpoint.</summary>
    public static TBuilder Apply<TBuilder>(TBuilder endpoint, Kind kind) where TBuilder : IEndpointConventionBuilder =>
        endpoint.AddEndpointFilter((context, next) => context.HttpContext.RequestServices.GetRequiredService<EdgeRateLimits>().LimitAsync(kind, context, next));
}

/// <summary>Endpoint conventions of the edge's limits.</summary>
public static class EdgeRateLimitConventions
{
    public static TBuilder RequireEdgeLimit<TBuilder>(this TBuilder endpoint, EdgeRateLimits.Kind kind) where TBuilder : IEndpointConventionBuilder =>
        EdgeRateLimits.Apply(endpoint, kind);
}
