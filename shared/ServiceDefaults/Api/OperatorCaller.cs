using System.Security.Claims;

namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>Who called: the token's name (else its subject) and roles, as the audit log, rate limits and problems name them.</summary>
public static class OperatorCaller
{
    public const string Anonymous = "anonymous";

    public static string NameOf(ClaimsPrincipal? user) =>
        user?.Identity is { IsAuthenticated: true } identity
            ? identity.Name ?? user.FindFirst("sub")?.Value ?? Anonymous
            : Anonymous;

    /// <summary>The caller's roles, comma-separated ("none" when the token has none; "" when not authenticated).</summary>
    public static string RolesOf(ClaimsPrincipal? user)
    {
        if (user?.Identity is not ClaimsIdentity { IsAuthenticated: true } identity) return "";
        var roles = user.Claims.Where(c => c.Type == identity.RoleClaimType).Select(c => c.Value).ToArray();
        return roles.Length == 0 ? "none" : string.Join(",", roles);
    }
}
