using FlMicroservices.PrivacyAccounting;
using FlMicroservices.PrivacyAccounting.Host;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.ServiceDefaults;
using FlMicroservices.ServiceDefaults.Api;

// The PrivacyAccounting service as its own process: adapters come from configuration (the embedded ones by default; see
// docs/deployment.md), with OpenTelemetry and the /health/live and /health/ready endpoints from the service defaults.
return ServiceDefaultsExtensions.RunService("privacy-accounting", args, builder =>
{
    builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddPrivacyAccountingConsumers(), BrokerAccounts.PrivacyAccounting);
    builder.Services.AddFlAdapters(builder.Configuration);
    builder.Services.AddPrivacyAccountingService(builder.Configuration);
    builder.Services.AddFlOperatorApi(builder.Configuration);
}, app =>
{
    app.MapPrivacy().RequireOperator(OperatorPolicies.Read);
    app.MapFlOperatorApi(); // tokens, roles and rate limits; /openapi/v1.json and the API page /scalar/
});
