using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Dashboard.SignIn;

/// <summary>The token the operator API is called with, per circuit or request: the signed-in person's, or in single-user mode the configured one.</summary>
public sealed class OperatorCredentials(OperatorTokenSource configured, AuthenticationStateProvider authentication, IOptions<DashboardOptions> options, TimeProvider clock)
{
    private ClaimsPrincipal? _requestUser;

    /// <summary>For an HTTP endpoint outside a circuit (the download): the request's user.</summary>
    public void UseRequestUser(ClaimsPrincipal user) => _requestUser = user;

    /// <summary>The bearer token for the next call; throws a 401 problem when the person is not signed in or their token has expired.</summary>
    public async Task<string?> TokenAsync()
    {
        if (options.Value.SingleUser) return configured.Current();
        var user = _requestUser ?? (await authentication.GetAuthenticationStateAsync().ConfigureAwait(false)).User;
        if (user.FindFirst(SignInClaims.Token)?.Value is not { Length: > 0 } token)
            throw new ApiProblemException(401, "Authorization", "you are not signed in: sign in with your operator token", []) { SignInReason = "signed-out" };
        var expires = SignInClaims.ExpiresOf(user);
        if (expires <= clock.GetUtcNow())
            throw new ApiProblemException(401, "Authorization",
                $"your token expired at {expires.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC: sign in again with a new one", []) { SignInReason = "expired" };
        return token;
    }
}
