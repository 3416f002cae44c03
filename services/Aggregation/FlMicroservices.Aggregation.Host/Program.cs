using FlMicroservices.Aggregation;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.ServiceDefaults;

// The Aggregation service as its own process: adapters come from configuration (the embedded ones by default; see
// docs/deployment.md), with OpenTelemetry and the /health/live and /health/ready endpoints from the service defaults.
return ServiceDefaultsExtensions.RunService("aggregation", args, builder =>
{
    builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddAggregationConsumers(builder.Configuration), BrokerAccounts.Aggregation);
    builder.Services.AddFlAdapters(builder.Configuration);
    builder.Services.AddAggregationService(builder.Configuration);
});
