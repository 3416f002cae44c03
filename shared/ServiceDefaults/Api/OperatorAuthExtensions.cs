using System.Threading.RateLimiting;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>Bearer tokens (an OIDC issuer, or the development issuer's key), the role policies and per-caller rate limits of the operator API.</summary>
public static class OperatorAuthExtensions
{
    /// <summary>Registers authentication, the policies (an endpoint without one still needs a valid token) and the rate limiter.</summary>
    public static IServiceCollection AddFlOperatorAuth(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = services.AddValidatedOptions<OperatorApiOptions>(configuration, OperatorApiOptions.Section);
        if (options.AuthDisabled)
        {
            services.AddAuthentication(AuthDisabledHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, AuthDisabledHandler>(AuthDisabledHandler.SchemeName, null);
            services.AddUnsafeSettingWarning("OperatorApi:AuthDisabled is true: the operator API treats EVERY caller as an admin, without a token. " +
                "This is for a development machine only; never expose this process.");
        }
        else
        {
            var key = options.Authority is { Length: > 0 } ? null : DevelopmentIssuer.KeyFor(options, configuration);
            services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt => ConfigureBearer(jwt, options, key));
        }
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(OperatorPolicies.Read, p => p.RequireRole(OperatorPolicies.Roles[OperatorPolicies.Read]))
            .AddPolicy(OperatorPolicies.Operate, p => p.RequireRole(OperatorPolicies.Roles[OperatorPolicies.Operate]))
            .AddPolicy(OperatorPolicies.Audit, p => p.RequireRole(OperatorPolicies.Roles[OperatorPolicies.Audit]));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, OperatorAuthorizationResultHandler>();
        services.AddRateLimiter(limiter => OperatorRateLimits.Configure(limiter, options));
        return services;
    }

    /// <summary>
    /// Authentication, the audit log (where <see cref="OperatorAudit.AddOperatorAuditLog"/> registered one: it sees what the next
    /// checks refuse), then the per-caller rate limit, then authorization; call before the endpoints run (any place in Program).
    /// </summary>
    public static WebApplication UseFlOperatorAuth(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAuthentication();
        if (app.Services.GetService<AuditLog>() is not null) app.UseMiddleware<AuditRecorder>();
        app.UseRateLimiter();
        app.UseAuthorization();
        return app;
    }

    /// <summary>The operator API's bearer validation: the OIDC authority, or the development issuer's <paramref name="developmentKey"/>; the dashboard checks people's tokens with it too.</summary>
    public static void ConfigureBearer(JwtBearerOptions jwt, OperatorApiOptions options, byte[]? developmentKey)
    {
        ArgumentNullException.ThrowIfNull(jwt);
        ArgumentNullException.ThrowIfNull(options);
        jwt.MapInboundClaims = false; // "role" and "name" stay as the token names them
        jwt.TokenValidationParameters.NameClaimType = options.NameClaim;
        jwt.TokenValidationParameters.RoleClaimType = options.RoleClaim;
        jwt.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
        jwt.Audience = options.Audience;
        if (developmentKey is null)
        {
            jwt.Authority = options.Authority;
            if (options.MetadataAddress is { Length: > 0 } metadata) jwt.MetadataAddress = metadata;
            jwt.RequireHttpsMetadata = options.RequireHttpsMetadata;
            return;
        }
        jwt.TokenValidationParameters.ValidIssuer = DevelopmentIssuer.Issuer;
        jwt.TokenValidationParameters.ValidAudience = options.Audience;
        jwt.TokenValidationParameters.IssuerSigningKey = DevelopmentIssuer.SecurityKey(developmentKey);
        jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
    }
}
