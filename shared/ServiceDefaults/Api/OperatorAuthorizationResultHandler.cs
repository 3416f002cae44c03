using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>Answers a refused call with a problem document: 401 saying what is wrong with the token, 403 naming the roles the endpoint needs.</summary>
public sealed class OperatorAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    public const string Field = "Authorization";
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (authorizeResult.Challenged)
        {
            var detail = await UnauthenticatedAsync(context);
            await context.ChallengeAsync(); // the scheme's WWW-Authenticate header
            await ApiProblems.Problem(StatusCodes.Status401Unauthorized, Field, detail).ExecuteAsync(context);
        }
        else if (authorizeResult.Forbidden)
        {
            var needed = policy.Requirements.OfType<RolesAuthorizationRequirement>().SelectMany(r => r.AllowedRoles).Distinct().ToArray();
            var detail = $"caller '{OperatorCaller.NameOf(context.User)}' (role {OperatorCaller.RolesOf(context.User)}) may not call " +
                $"{context.Request.Method} {context.Request.Path}: it needs the role {string.Join(" or ", needed)}";
            await ApiProblems.Problem(StatusCodes.Status403Forbidden, Field, detail).ExecuteAsync(context);
        }
        else await _default.HandleAsync(next, context, policy, authorizeResult);
    }

    private static async Task<string> UnauthenticatedAsync(HttpContext context)
    {
        if (!context.Request.Headers.Authorization.Any(h => h is { Length: > 0 }))
            return "the operator API needs a bearer token (Authorization: Bearer <token>); on a development deployment `fl token --role admin` mints one";
        var failure = (await context.AuthenticateAsync()).Failure?.Message; // the handler's result of this request, kept from the first time
        return $"the bearer token was not accepted: {failure ?? "it is not a bearer token"}";
    }
}
