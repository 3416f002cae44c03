using System.Security.Cryptography;
using FlMicroservices.Cli.Dashboard;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Security;
using FlMicroservices.ModelRegistry;
using FlMicroservices.ServiceDefaults.Api;
using FlMicroservices.Simulation;
using FlMicroservices.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace FlMicroservices.Dashboard.Tests;

/// <summary>
/// One process with the six services and a node of six synthetic clients on the in-memory bus, every operator endpoint, and
/// the dashboard reading them over HTTP and receiving the bus's events; plus headless chromium to drive it.
/// </summary>
public sealed class DashboardPlatform : IAsyncLifetime
{
    private readonly string _home = Directory.CreateTempSubdirectory("fl-dashboard-").FullName;
    private readonly byte[] _signingKey = RandomNumberGenerator.GetBytes(DevelopmentIssuer.KeyBytes);
    private readonly List<WebApplication> _dashboards = [];
    private WebApplication? _app;
    private IPlaywright? _playwright;

    public string BaseUrl { get; } = $"http://127.0.0.1:{ProcessRunner.FreePort()}";

    public EventLog Events { get; } = new();

    public IServiceProvider Services => _app!.Services;

    public IBrowser Browser { get; private set; } = null!;

    public string RunsDirectory => Path.Combine(_home, "runs");

    /// <summary>The repository root (screenshots go to docs/dashboard and artifacts/test-results/dashboard).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    public async Task InitializeAsync()
    {
        if (BrowserPath.Chromium is null) return; // every test here is skipped, with the reason
        Directory.CreateDirectory(RunsDirectory);
        var options = new SimulationOptions { Dataset = "synthetic", Clients = 6, Seed = 1, LocalEpochs = 1, Parallelism = 2 };
        var data = options.LoadData();
        var clients = VirtualClients.Create(data, options);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DashboardPlatform).Assembly.GetName().Name, ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production",
        });
        builder.WebHost.UseStaticWebAssets().UseUrls(BaseUrl);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ModelStoreRoot"] = Path.Combine(_home, "models"),
            ["Node:Parallelism"] = "2",
            ["Node:HeartbeatInterval"] = "00:00:05",
            ["Dashboard:ApiUrl"] = BaseUrl,
            ["Dashboard:RunsDirectory"] = RunsDirectory,
            // The API checks tokens as a deployment does; this dashboard is single-user (loopback) and calls it as a data scientist.
            ["OperatorApi:SigningKey"] = Convert.ToBase64String(_signingKey),
            ["Dashboard:SingleUser"] = "true",
            ["Dashboard:OperatorToken"] = Token(OperatorRoles.DataScientist),
        });
        builder.Logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("MassTransit", LogLevel.Error).AddFilter("System.Net.Http", LogLevel.Warning);
        var services = builder.Services;
        services.AddSingleton(Events);
        services.AddSingleton<IValidationSetProvider>(new FixedValidationSets(new Dictionary<string, Core.Data.InMemoryDataset>(), data.Test));
        SimulationRunner.AddEmbeddedPlatform(services, builder.Configuration, clients, bus => bus.AddDashboardConsumers());
        services.AddFlOperatorApi(builder.Configuration);
        services.AddFlDashboard(builder.Configuration);
        // The gateway's audit log of operator calls, as deployed in front of the API: who did what, from the caller's token.
        services.AddOperatorAuditLog();
        _app = builder.Build();
        _app.MapFlDashboard();
        _app.MapEmbeddedOperatorApi();
        await _app.StartAsync();
        await Eventually.TrueAsync(() => Events.All.Count(e => e.Message is ClientRegistered) >= clients.Length, TimeSpan.FromMinutes(2),
            "the six virtual clients to register");

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserPath.Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A token of the operator API under test for <paramref name="role"/>, naming <paramref name="name"/>, valid for <paramref name="lifetime"/> from <paramref name="issued"/>.</summary>
    public string Token(string role, string? name = null, TimeSpan? lifetime = null, DateTimeOffset? issued = null) =>
        DevelopmentIssuer.Mint(_signingKey, name ?? $"dashboard-tests-{role}", role, lifetime ?? TimeSpan.FromHours(4), now: issued);

    /// <summary>An HTTP client of the operator API that calls it as an admin.</summary>
    public HttpClient AdminApi()
    {
        var http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token(OperatorRoles.Admin));
        return http;
    }

    /// <summary>A second dashboard, a process of its own as deployed: people sign in with their tokens, which it checks with this API's key; its base URL.</summary>
    public async Task<string> StartDashboardAsync()
    {
        var url = $"http://127.0.0.1:{ProcessRunner.FreePort()}";
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DashboardPlatform).Assembly.GetName().Name, ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production",
        });
        builder.WebHost.UseStaticWebAssets().UseUrls(url);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dashboard:ApiUrl"] = BaseUrl,
            ["OperatorApi:SigningKey"] = Convert.ToBase64String(_signingKey),
        });
        builder.Logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Warning).AddFilter("System.Net.Http", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.Services.AddFlDashboard(builder.Configuration);
        var app = builder.Build();
        app.MapFlDashboard();
        await app.StartAsync();
        _dashboards.Add(app);
        return url;
    }

    /// <summary>A page of <paramref name="person"/>'s browser (their cookies), signed in to <paramref name="dashboard"/> with <paramref name="token"/>, at <paramref name="path"/> once interactive.</summary>
    public static async Task<IPage> SignInAsync(IBrowserContext person, string dashboard, string token, string path)
    {
        ArgumentNullException.ThrowIfNull(person);
        var page = await person.NewPageAsync();
        page.SetDefaultTimeout(60_000);
        await page.GotoAsync(dashboard + path);
        await page.WaitForURLAsync("**/signin?**");
        await page.FillAsync("#operator-token", token);
        await page.ClickAsync("[data-testid=signin-submit]");
        try { await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = 60_000 }); }
        catch (TimeoutException e) { throw new TimeoutException($"{e.Message}; the page at {page.Url} says: {await page.InnerTextAsync("body")}", e); }
        return page;
    }

    /// <summary>A new page of <paramref name="width"/> px, at <paramref name="path"/> once its circuit is interactive.</summary>
    public async Task<IPage> OpenAsync(string path, int width = 1280, int height = 900, string? baseUrl = null)
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        page.SetDefaultTimeout(60_000);
        await page.GotoAsync((baseUrl ?? BaseUrl) + path);
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = 60_000 });
        return page;
    }

    /// <summary>Saves a screenshot as a test artifact, and with FL_DASHBOARD_DOCS=1 as the documentation's picture of the page (docs/dashboard).</summary>
    public static async Task ScreenshotAsync(IPage page, string name, bool fullPage = true)
    {
        List<string> folders = [Path.Combine(RepositoryRoot, "artifacts", "test-results", "dashboard")];
        if (Environment.GetEnvironmentVariable("FL_DASHBOARD_DOCS") == "1") folders.Add(Path.Combine(RepositoryRoot, "docs", "dashboard"));
        foreach (var folder in folders)
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = fullPage });
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        foreach (var dashboard in _dashboards)
        {
            await dashboard.StopAsync();
            await dashboard.DisposeAsync();
        }
        if (_app is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _app.StopAsync(stop.Token);
            await _app.DisposeAsync();
        }
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FlMicroservices.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardPlatform>
{
    public const string Name = "dashboard";
}
