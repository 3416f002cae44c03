using FlMicroservices.Dashboard;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.ServiceDefaults;

// The dashboard as its own process: it reads the operator API through the gateway (Dashboard:ApiUrl) and receives the
// platform's events on the bus the services use. Until operators sign in it listens on localhost only (appsettings.json).
var builder = WebApplication.CreateBuilder(args);
builder.AddFlServiceDefaults("dashboard");
builder.WebHost.UseStaticWebAssets();
builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddDashboardConsumers());
builder.Services.AddFlDashboard(builder.Configuration);
var app = builder.Build();
app.MapFlHealthEndpoints();
app.MapFlDashboard();
app.Run();
