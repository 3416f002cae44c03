using System.Globalization;
using System.Threading.RateLimiting;
using FlMicroservices.Infrastructure.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>A fixed window of OperatorApi:RequestsPerWindow requests per caller (the token's name, else the client address) on /api.</summary>
public static class OperatorRateLimits
{
    public static void Configure(RateLimiterOptions limiter, OperatorApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(limiter);
        ArgumentNullException.ThrowIfNull(options);
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            !context.Request.Path.StartsWithSegments("/api") ? RateLimitPartition.GetNoLimiter("open")
            : RateLimitPartition.GetFixedWindowLimiter(PartitionOf(context), _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.RequestsPerWindow, Window = options.RateLimitWindow, QueueLimit = 0, AutoReplenishment = true,
            }));
        limiter.OnRejected = async (rejected, cancellationToken) =>
        {
            var context = rejected.HttpContext;
            var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : options.RateLimitWindow;
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await ApiProblems.Problem(StatusCodes.Status429TooManyRequests, OperatorAuthorizationResultHandler.Field,
                $"caller '{PartitionOf(context)}' made more than {options.RequestsPerWindow} requests in {options.RateLimitWindow}; retry after {seconds} s")
                .ExecuteAsync(context);
        };
    }

    private static string PartitionOf(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true ? OperatorCaller.NameOf(context.User) : $"address {context.Connection.RemoteIpAddress}";
}
