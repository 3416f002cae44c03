using FlMicroservices.Selector;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;

// The Selector service on its own: adapters come from configuration (the embedded in-memory ones by default).
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddSelectorConsumers());
builder.Services.AddFlInfrastructure(builder.Configuration);
builder.Services.AddSelectorService(builder.Configuration);
builder.Build().Run();
