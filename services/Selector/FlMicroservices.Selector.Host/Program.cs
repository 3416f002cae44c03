using FlMicroservices.Selector;
using FlMicroservices.Selector.Host;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.ServiceDefaults;
using FlMicroservices.ServiceDefaults.Api;

// The Selector service as its own process: adapters come from configuration (the embedded ones by default; see
// docs/deployment.md), with OpenTelemetry and the /health/live and /health/ready endpoints from the service defaults.
return ServiceDefaultsExtensions.RunService("selector", args, builder =>
{
    builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddSelectorConsumers(), BrokerAccounts.Selector);
    builder.Services.AddFlAdapters(builder.Configuration);
    builder.Services.AddSelectorService(builder.Configuration);
    builder.Services.AddFlOperatorApi(builder.Configuration);
}, app =>
{
    var (read, operate) = app.MapTasks();
    read.RequireOperator(OperatorPolicies.Read);
    operate.RequireOperator(OperatorPolicies.Operate);
    app.MapFlOperatorApi(); // tokens, roles and rate limits; /openapi/v1.json and the API page /scalar/
});
