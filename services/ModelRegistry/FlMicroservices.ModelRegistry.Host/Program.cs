using FlMicroservices.ModelRegistry;
using FlMicroservices.ModelRegistry.Host;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.ServiceDefaults;
using Scalar.AspNetCore;

// The ModelRegistry service as its own process: adapters come from configuration (the embedded ones by default; see
// docs/deployment.md), with OpenTelemetry and the /health/live and /health/ready endpoints from the service defaults.
return ServiceDefaultsExtensions.RunService("model-registry", args, builder =>
{
    builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddModelRegistryConsumers());
    builder.Services.AddFlAdapters(builder.Configuration);
    builder.Services.AddModelRegistryService(builder.Configuration);
    builder.Services.AddProblemDetails();
    builder.Services.AddOpenApi();
}, app =>
{
    app.MapModelDownloads();
    app.MapModelVersions();
    app.MapOpenApi();           // /openapi/v1.json
    // /scalar: the interactive API page, its script served from the package; no fonts CDN, no telemetry (nothing leaves the deployment).
    app.MapScalarApiReference(options => options.DisableDefaultFonts().DisableTelemetry());
});
