using FlMicroservices.Registry;
using FlMicroservices.Registry.Host;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.ServiceDefaults;
using FlMicroservices.ServiceDefaults.Api;

// The Registry service as its own process: adapters come from configuration (the embedded ones by default; see
// docs/deployment.md), with OpenTelemetry and the /health/live and /health/ready endpoints from the service defaults.
return ServiceDefaultsExtensions.RunService("registry", args, builder =>
{
    builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddRegistryConsumers(), BrokerAccounts.Registry);
    builder.Services.AddFlAdapters(builder.Configuration);
    builder.Services.AddRegistryService(builder.Configuration);
    builder.Services.AddFlOperatorApi(builder.Configuration);
}, app =>
{
    app.MapTaskCreation().RequireOperator(OperatorPolicies.Operate);
    app.MapClients().RequireOperator(OperatorPolicies.Read);
    app.MapFlOperatorApi(); // tokens, roles and rate limits; /openapi/v1.json and the API page /scalar/
});
