using FlMicroservices.ModelRegistry;
using FlMicroservices.ModelRegistry.Host;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.ServiceDefaults;
using FlMicroservices.ServiceDefaults.Api;

// The ModelRegistry service as its own process: adapters come from configuration (the embedded ones by default; see
// docs/deployment.md), with OpenTelemetry and the /health/live and /health/ready endpoints from the service defaults.
return ServiceDefaultsExtensions.RunService("model-registry", args, builder =>
{
    builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddModelRegistryConsumers(), BrokerAccounts.ModelRegistry);
    builder.Services.AddFlAdapters(builder.Configuration);
    builder.Services.AddModelRegistryService(builder.Configuration);
    builder.Services.AddFlOperatorApi(builder.Configuration);
}, app =>
{
    app.MapModelDownloads(); // the nodes' downloads: open (nodes hold no operator token)
    app.MapModelVersions().RequireOperator(OperatorPolicies.Read);
    app.MapModelPromotions().RequireOperator(OperatorPolicies.Operate);
    app.MapFlOperatorApi(); // tokens, roles and rate limits; /openapi/v1.json and the API page /scalar/
});
