using FlMicroservices.Registry;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;

// The Registry service on its own: adapters come from configuration (the embedded in-memory ones by default).
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddRegistryConsumers());
builder.Services.AddFlInfrastructure(builder.Configuration);
builder.Services.AddRegistryService();
builder.Build().Run();
