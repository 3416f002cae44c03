using System.Security.Claims;
using FlMicroservices.Infrastructure.Security;
using FlMicroservices.ServiceDefaults.Api;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace FlMicroservices.Dashboard.SignIn;

/// <summary>Checks a pasted operator token with the operator API's own bearer settings (issuer, audience, keys or authority) and says why one is refused.</summary>
public sealed class OperatorTokenValidator(IOptionsMonitor<JwtBearerOptions> bearer, IOptions<OperatorApiOptions> api)
{
    /// <summary>The JWT bearer scheme configured exactly as the operator API's (OperatorAuthExtensions.ConfigureBearer); it only validates here.</summary>
    public const string Scheme = "OperatorToken";

    /// <summary>The signed-in person with their token's name, subject, roles and expiry, or the reason the token is refused.</summary>
    public async Task<OperatorTokenCheck> ValidateAsync(string? token, CancellationToken cancellationToken)
    {
        token = token?.Trim();
        if (token is { Length: > 7 } && token.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) token = token[7..].Trim();
        if (string.IsNullOrEmpty(token)) return OperatorTokenCheck.Refused("paste your operator token (the JWT that `fl token` or your identity provider gives you)");
        var options = bearer.Get(Scheme);
        var parameters = options.TokenValidationParameters.Clone();
        if (options.ConfigurationManager is { } manager)
        {
            // An OIDC authority: its issuer and signing keys from its discovery document, as the API's handler takes them.
            var configuration = await manager.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
            parameters.ValidIssuers = [.. parameters.ValidIssuers ?? [], configuration.Issuer];
            parameters.IssuerSigningKeys = [.. parameters.IssuerSigningKeys ?? [], .. configuration.SigningKeys];
        }
        Exception? failure = null;
        foreach (var handler in options.TokenHandlers)
        {
            var result = await handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
            if (result.IsValid) return Accepted(token, result.ClaimsIdentity, result.SecurityToken.ValidTo, api.Value);
            failure ??= result.Exception;
        }
        return OperatorTokenCheck.Refused(Reason(failure));
    }

    private static OperatorTokenCheck Accepted(string token, ClaimsIdentity identity, DateTime validTo, OperatorApiOptions api)
    {
        var user = new ClaimsPrincipal(identity);
        var roles = identity.FindAll(identity.RoleClaimType).Select(c => c.Value).Where(OperatorRoles.All.Contains).Distinct().ToArray();
        if (roles.Length == 0)
            return OperatorTokenCheck.Refused($"the token is valid but names no operator role (its '{api.RoleClaim}' claim must hold {string.Join(", ", OperatorRoles.All)})");
        var expires = new DateTimeOffset(DateTime.SpecifyKind(validTo, DateTimeKind.Utc));
        return new OperatorTokenCheck(true, null, OperatorCaller.NameOf(user), identity.FindFirst("sub")?.Value, roles, expires, token);
    }

    // The validator's own messages hide the token's values (PII); these say in words what is wrong and what to do.
    private static string Reason(Exception? failure) => failure switch
    {
        SecurityTokenExpiredException expired =>
            $"the token expired at {expired.Expires:yyyy-MM-dd HH:mm:ss} UTC: get a new one (`fl token --role ...` or your identity provider)",
        SecurityTokenNotYetValidException early => $"the token is not valid before {early.NotBefore:yyyy-MM-dd HH:mm:ss} UTC",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
            "the token's signature does not verify with the operator API's signing keys: it was not issued for this deployment, or it was altered",
        SecurityTokenInvalidAudienceException => "the token is for another audience than the operator API's (OperatorApi:Audience)",
        SecurityTokenInvalidIssuerException => "the token's issuer is not the one the operator API trusts (OperatorApi:Authority, or the development issuer)",
        SecurityTokenMalformedException or ArgumentException => "this is not a JWT: an operator token is three base64url parts separated by dots",
        null => "the token was not accepted",
        _ => $"the token was not accepted: {failure.Message}",
    };
}
