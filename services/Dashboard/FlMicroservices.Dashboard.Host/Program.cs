using FlMicroservices.Dashboard;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.ServiceDefaults;

// The dashboard as its own process: it reads the operator API through the gateway (Dashboard:ApiUrl) and receives the
// platform's events on the bus the services use (its own broker account: it reads five events and publishes nothing). People
// sign in with their operator tokens (Dashboard:SingleUser opts into one configured token, loopback only); it listens on
// 127.0.0.1:5107 unless its URLs are configured (docs/dashboard.md).
var builder = WebApplication.CreateBuilder(args);
if (builder.Configuration["urls"] is not { Length: > 0 } && builder.Configuration["http_ports"] is not { Length: > 0 })
    builder.WebHost.UseUrls("http://127.0.0.1:5107"); // unless Urls, ASPNETCORE_URLS or ASPNETCORE_HTTP_PORTS (Aspire, the image) say otherwise
builder.AddFlServiceDefaults("dashboard");
builder.WebHost.UseStaticWebAssets();
builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddDashboardConsumers(), BrokerAccounts.Dashboard);
builder.Services.AddFlDashboard(builder.Configuration);
var app = builder.Build();
app.MapFlHealthEndpoints();
app.MapFlDashboard();
app.Run();
