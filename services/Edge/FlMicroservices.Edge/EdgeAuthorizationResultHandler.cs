using FlMicroservices.ServiceDefaults.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace FlMicroservices.Edge;

/// <summary>Refusals of node endpoints go to the node scheme's challenge (its reason, WWW-Authenticate: FlNode); operator endpoints answer as every operator API does.</summary>
public sealed class EdgeAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _node = new();
    private readonly OperatorAuthorizationResultHandler _operator = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.AuthenticationSchemes.Contains(NodeAuthenticationHandler.SchemeName)
            ? _node.HandleAsync(next, context, policy, authorizeResult)
            : _operator.HandleAsync(next, context, policy, authorizeResult);
    }
}
