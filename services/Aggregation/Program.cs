using FlMicroservices.Aggregation;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;

// The Aggregation service on its own: adapters come from configuration (the embedded in-memory ones by default).
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddAggregationConsumers());
builder.Services.AddFlInfrastructure(builder.Configuration);
builder.Services.AddAggregationService(builder.Configuration);
builder.Build().Run();
