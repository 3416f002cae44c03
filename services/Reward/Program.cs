using FlMicroservices.Reward;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;

// The Reward service on its own: adapters come from configuration (the embedded in-memory ones by default).
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddRewardConsumers());
builder.Services.AddFlInfrastructure(builder.Configuration);
builder.Services.AddRewardService(builder.Configuration);
builder.Build().Run();
