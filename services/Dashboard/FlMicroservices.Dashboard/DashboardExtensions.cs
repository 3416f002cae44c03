using FlMicroservices.Dashboard.Components;
using FlMicroservices.Dashboard.Consumers;
using FlMicroservices.Infrastructure.Security;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MudBlazor.Services;

namespace FlMicroservices.Dashboard;

/// <summary>Registers and maps the dashboard: its pages (Blazor, interactive on the server), the API client and the live events.</summary>
public static class DashboardExtensions
{
    public static IServiceCollection AddFlDashboard(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DashboardOptions>().Bind(configuration.GetSection(DashboardOptions.Section))
            .Validate(o => Uri.TryCreate(o.ApiUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https",
                $"{DashboardOptions.Section}:ApiUrl must be an absolute http(s) URL")
            .Validate(o => o.TokenSettings <= 1, $"{DashboardOptions.Section}: set at most one of OperatorToken, OperatorTokenFile and DevelopmentIssuerRole")
            .Validate(o => string.IsNullOrWhiteSpace(o.DevelopmentIssuerRole) || OperatorRoles.All.Contains(o.DevelopmentIssuerRole),
                $"{DashboardOptions.Section}:DevelopmentIssuerRole must be one of {string.Join(", ", OperatorRoles.All)}")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<OperatorTokenSource>();
        services.AddTransient<OperatorTokenHandler>();
        services.AddHttpClient<OperatorApiClient>(http => http.Timeout = TimeSpan.FromSeconds(30)).AddHttpMessageHandler<OperatorTokenHandler>();
        services.AddSingleton<LiveEvents>();
        services.AddSingleton<RunFolders>();
        services.AddMudServices();
        services.AddRazorComponents().AddInteractiveServerComponents();
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
        app.UseStaticFiles();
        app.UseAntiforgery();
        // Open to whoever reaches the dashboard (it listens on localhost unless configured otherwise); the API it calls checks its token.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().AllowAnonymous();
        app.MapGet("/download/{taskId}/{version:int}", DownloadAsync).AllowAnonymous();
        return app;
    }

    // The export comes through the dashboard so that a browser needs to reach only the dashboard, not the gateway.
    private static async Task DownloadAsync(HttpContext context, OperatorApiClient api, string taskId, int version)
    {
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
