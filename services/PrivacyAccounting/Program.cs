using FlMicroservices.PrivacyAccounting;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;

// The PrivacyAccounting service on its own: adapters come from configuration (the embedded in-memory ones by default).
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddPrivacyAccountingConsumers());
builder.Services.AddFlInfrastructure(builder.Configuration);
builder.Services.AddPrivacyAccountingService();
builder.Build().Run();
