using System.Globalization;
using System.Security.Claims;

namespace FlMicroservices.Dashboard.SignIn;

/// <summary>The claims of a dashboard session (kept in its encrypted cookie): the person's name, subject and roles, and their token with its expiry.</summary>
public static class SignInClaims
{
    public const string CookieScheme = "FlDashboardSession";
    public const string Name = "name";
    public const string Role = "role";
    public const string Subject = "sub";
    public const string Token = "fl_operator_token";
    public const string Expires = "fl_token_expires";

    /// <summary>The session's principal for a token the validator accepted.</summary>
    public static ClaimsPrincipal PrincipalOf(OperatorTokenCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        List<Claim> claims = [new(Name, check.Name), new(Token, check.Token), new(Expires, check.Expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture))];
        if (check.Subject is { } subject) claims.Add(new Claim(Subject, subject));
        claims.AddRange(check.Roles.Select(r => new Claim(Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieScheme, Name, Role));
    }

    /// <summary>When the session's token expires (the epoch when it has none).</summary>
    public static DateTimeOffset ExpiresOf(ClaimsPrincipal user) =>
        long.TryParse(user?.FindFirst(Expires)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : DateTimeOffset.UnixEpoch;
}
