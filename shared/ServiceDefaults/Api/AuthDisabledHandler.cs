using System.Security.Claims;
using System.Text.Encodings.Web;
using FlMicroservices.Infrastructure.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>OperatorApi:AuthDisabled: every caller is an admin named "auth-disabled" (development only; logged at start-up).</summary>
public sealed class AuthDisabledHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AuthDisabled";
    public const string CallerName = "auth-disabled";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var identity = new ClaimsIdentity([new Claim("name", CallerName), new Claim("role", OperatorRoles.Admin)], SchemeName, "name", "role");
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
