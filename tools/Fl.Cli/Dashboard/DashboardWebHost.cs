using System.Security.Cryptography;
using FlMicroservices.Dashboard;
using FlMicroservices.Infrastructure.Security;
using FlMicroservices.ServiceDefaults.Api;
using FlMicroservices.Simulation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Cli.Dashboard;

/// <summary>
/// The embedded run as a web host on 127.0.0.1: the platform, every operator endpoint (tokens checked with a key made for this
/// run only) and the dashboard, which calls them with an admin token of that key and overlays the run folders under <paramref name="runsDirectory"/>.
/// </summary>
public sealed class DashboardWebHost(int port, string runsDirectory) : IEmbeddedHostFactory
{
    public string Url { get; } = $"http://127.0.0.1:{port}";

    public IHost Build(EmbeddedHostSetup setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DashboardWebHost).Assembly.GetName().Name, ContentRootPath = AppContext.BaseDirectory, EnvironmentName = Environments.Production,
        });
        builder.Configuration.Sources.Clear(); // no appsettings.json or environment: the run's options say everything
        builder.Logging.ClearProviders();
        var key = RandomNumberGenerator.GetBytes(DevelopmentIssuer.KeyBytes);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OperatorApi:SigningKey"] = Convert.ToBase64String(key),
            ["Dashboard:ApiUrl"] = Url,
            ["Dashboard:SingleUser"] = "true", // loopback only: the local user is signed in as the run's admin
            ["Dashboard:OperatorToken"] = DevelopmentIssuer.Mint(key, "fl-simulate-dashboard", OperatorRoles.Admin, TimeSpan.FromDays(7)),
            ["Dashboard:RunsDirectory"] = runsDirectory,
            ["Dashboard:AccessNotice"] = $"fl simulate serves this dashboard on {Url} (this machine only) until the run ends, signed in as the run's admin: anyone on this machine can operate it.",
        });
        builder.WebHost.UseStaticWebAssets().UseUrls(Url);
        setup.Configure(builder, bus => bus.AddDashboardConsumers());
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Error);
        builder.Services.AddFlOperatorApi(builder.Configuration);
        builder.Services.AddFlDashboard(builder.Configuration);
        var app = builder.Build();
        app.MapFlDashboard(); // its static files before the token checks, which guard the API only
        app.MapEmbeddedOperatorApi();
        return app;
    }
}
