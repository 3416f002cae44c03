using FlMicroservices.Dashboard.Components;
using FlMicroservices.Dashboard.Consumers;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
            .ValidateOnStart();
        services.AddHttpClient<OperatorApiClient>(http => http.Timeout = TimeSpan.FromSeconds(30));
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
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapGet("/download/{taskId}/{version:int}", DownloadAsync);
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
