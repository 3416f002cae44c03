using System.Net;
using FlMicroservices.Dashboard.Components;
using FlMicroservices.Dashboard.Consumers;
using FlMicroservices.Dashboard.SignIn;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Security;
using FlMicroservices.ServiceDefaults.Api;
using MassTransit;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace FlMicroservices.Dashboard;

/// <summary>Registers and maps the dashboard: its pages (Blazor, interactive on the server), people's sign-in, the API client and the live events.</summary>
public static class DashboardExtensions
{
    private static readonly AuthorizationPolicy Session = new AuthorizationPolicyBuilder(SignInClaims.CookieScheme).RequireAuthenticatedUser().Build();

    public static IServiceCollection AddFlDashboard(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DashboardOptions>().Bind(configuration.GetSection(DashboardOptions.Section))
            .Validate(o => Uri.TryCreate(o.ApiUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https",
                $"{DashboardOptions.Section}:ApiUrl must be an absolute http(s) URL")
            .Validate(o => o.TokenSettings <= 1, $"{DashboardOptions.Section}: set at most one of OperatorToken, OperatorTokenFile and DevelopmentIssuerRole")
            .Validate(o => o.SingleUser || o.TokenSettings == 0,
                $"{DashboardOptions.Section}:OperatorToken, OperatorTokenFile and DevelopmentIssuerRole act for everyone who reaches the dashboard, so they " +
                $"need {DashboardOptions.Section}:SingleUser=true (loopback only); without it people sign in with their own tokens")
            .Validate(o => string.IsNullOrWhiteSpace(o.DevelopmentIssuerRole) || OperatorRoles.All.Contains(o.DevelopmentIssuerRole),
                $"{DashboardOptions.Section}:DevelopmentIssuerRole must be one of {string.Join(", ", OperatorRoles.All)}")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => CommandSigning.Off()); // AddFlMessaging puts the deployment's in its place
        services.AddSingleton<OperatorTokenSource>();
        services.AddScoped<OperatorCredentials>();
        services.AddHttpClient<OperatorApiClient>(http => http.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<LiveEvents>();
        services.AddSingleton<RunFolders>();
        services.AddMudServices();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        if (configuration.GetValue<bool>($"{DashboardOptions.Section}:{nameof(DashboardOptions.SingleUser)}"))
            services.AddHostedService<SingleUserBinding>();
        else AddSignIn(services, configuration);
        return services;
    }

    /// <summary>The consumers that turn platform events into live page updates (one per message).</summary>
    public static IBusRegistrationConfigurator AddDashboardConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<TaskCreatedConsumer>();
        bus.AddConsumer<RoundStartedConsumer>();
        bus.AddConsumer<RoundCompletedConsumer>();
        bus.AddConsumer<ModelVersionPublishedConsumer>();
        bus.AddConsumer<TaskCompletedConsumer>();
        return bus;
    }

    public static WebApplication MapFlDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var singleUser = app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value.SingleUser;
        app.UseStaticFiles();
        if (singleUser) app.Use(LoopbackOnlyAsync);
        else
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }
        app.UseAntiforgery();
        var pages = app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        var download = app.MapGet("/download/{taskId}/{version:int}", DownloadAsync);
        if (singleUser)
        {
            // Whoever reaches the dashboard (on loopback only) acts with its configured token; the API it calls checks that token.
            pages.AllowAnonymous();
            download.AllowAnonymous();
        }
        else
        {
            // Every page but the sign-in page ([AllowAnonymous]) needs a session; without one the browser is sent to /signin.
            pages.RequireAuthorization(Session);
            download.RequireAuthorization(Session);
            app.MapPost("/signout", SignOutAsync).AllowAnonymous();
        }
        return app;
    }

    // People sign in with their operator token, checked with the operator API's own bearer settings; the session is an encrypted cookie.
    private static void AddSignIn(IServiceCollection services, IConfiguration configuration)
    {
        var api = configuration.GetSection(OperatorApiOptions.Section).Get<OperatorApiOptions>() ?? new OperatorApiOptions();
        services.AddOptions<OperatorApiOptions>().Bind(configuration.GetSection(OperatorApiOptions.Section));
        // The key is read now, as the API reads it: a missing or bad key stops the start with its setting's name.
        var key = api.Authority is { Length: > 0 } ? null : DevelopmentIssuer.KeyFor(api, configuration);
        services.AddAuthentication(SignInClaims.CookieScheme)
            .AddCookie(SignInClaims.CookieScheme, ConfigureSession)
            .AddJwtBearer(OperatorTokenValidator.Scheme, jwt => OperatorAuthExtensions.ConfigureBearer(jwt, api, key));
        services.AddAuthorization();
        services.AddSingleton<OperatorTokenValidator>();
    }

    private static void ConfigureSession(CookieAuthenticationOptions cookie)
    {
        cookie.Cookie.Name = "fl-dashboard-session";
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure whenever the dashboard is reached over HTTPS
        cookie.Cookie.SameSite = SameSiteMode.Strict;
        cookie.LoginPath = "/signin";
        cookie.ReturnUrlParameter = "ReturnUrl";
        cookie.ExpireTimeSpan = TimeSpan.FromHours(12); // at most; the token's own expiry ends it sooner
        cookie.SlidingExpiration = false;
        cookie.Events.OnValidatePrincipal = async context =>
        {
            var clock = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>();
            if (context.Principal is not { } user || SignInClaims.ExpiresOf(user) > clock.GetUtcNow()) return;
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(SignInClaims.CookieScheme);
            context.HttpContext.Items[ExpiredItem] = true;
        };
        cookie.Events.OnRedirectToLogin = context =>
        {
            var target = context.HttpContext.Items.ContainsKey(ExpiredItem) ? context.RedirectUri + "&reason=expired" : context.RedirectUri;
            context.Response.Redirect(target);
            return Task.CompletedTask;
        };
    }

    private const string ExpiredItem = "fl-dashboard-token-expired";

    private static async Task<IResult> SignOutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        try { await antiforgery.ValidateRequestAsync(context); }
        catch (AntiforgeryValidationException) { return Results.Problem(statusCode: 400, detail: "the sign-out form's antiforgery token is missing or wrong: reload the page"); }
        await context.SignOutAsync(SignInClaims.CookieScheme);
        return Results.Redirect("/signin?reason=signed-out");
    }

    // Single-user mode: a request that arrived on an address beyond loopback is refused, even in the moment before the host stops itself.
    private static async Task LoopbackOnlyAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Connection.LocalIpAddress is { } local && !IPAddress.IsLoopback(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync($"{DashboardOptions.Section}:SingleUser serves loopback only", context.RequestAborted);
            return;
        }
        await next(context);
    }

    // The export comes through the dashboard so that a browser needs to reach only the dashboard, not the gateway.
    private static async Task DownloadAsync(HttpContext context, OperatorApiClient api, OperatorCredentials credentials, string taskId, int version)
    {
        credentials.UseRequestUser(context.User);
        try
        {
            using var export = await api.ExportAsync(taskId, version, context.RequestAborted);
            context.Response.ContentType = "application/zip";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{taskId}-v{version}.zip\"";
            await export.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
        catch (ApiProblemException e)
        {
            context.Response.StatusCode = e.Status;
            await context.Response.WriteAsync(e.Message, context.RequestAborted);
        }
    }
}
