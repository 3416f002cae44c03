using FlMicroservices.Reward;
using FlMicroservices.Reward.Host;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.ServiceDefaults;
using FlMicroservices.ServiceDefaults.Api;

// The Reward service as its own process: adapters come from configuration (the embedded ones by default; see
// docs/deployment.md), with OpenTelemetry and the /health/live and /health/ready endpoints from the service defaults.
return ServiceDefaultsExtensions.RunService("reward", args, builder =>
{
    builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddRewardConsumers(), BrokerAccounts.Reward);
    builder.Services.AddFlAdapters(builder.Configuration);
    builder.Services.AddRewardService(builder.Configuration);
    builder.Services.AddFlOperatorApi(builder.Configuration);
}, app =>
{
    app.MapRewards().RequireOperator(OperatorPolicies.Read);
    app.MapFlOperatorApi(); // tokens, roles and rate limits; /openapi/v1.json and the API page /scalar/
});
