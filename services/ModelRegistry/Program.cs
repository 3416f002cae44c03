using FlMicroservices.ModelRegistry;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;

// The ModelRegistry service on its own: adapters come from configuration (the embedded in-memory ones by default).
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddModelRegistryConsumers());
builder.Services.AddFlInfrastructure(builder.Configuration);
builder.Services.AddModelRegistryService();
builder.Build().Run();
