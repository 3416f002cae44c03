using FlMicroservices.Contracts;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Registry.Consumers;

/// <summary>Admits a client: records it as healthy and announces <see cref="ClientRegistered"/>.</summary>
public sealed class RegisterClientConsumer(IClientHealthStore health, TimeProvider clock, ILogger<RegisterClientConsumer> logger) : IConsumer<RegisterClient>
{
    public async Task Consume(ConsumeContext<RegisterClient> context)
    {
        var request = context.Message;
        var now = clock.GetUtcNow();
        string? problem = null;
        if (!Identifiers.IsValid(request.ClientId)) problem = $"ClientId '{request.ClientId}' is not valid: {Identifiers.Rule}";
        else if (request.Capabilities is null) problem = "Capabilities are missing";
        else if (request.Capabilities.ExampleCount < 0) problem = $"Capabilities.ExampleCount {request.Capabilities.ExampleCount} is negative";
        if (problem is not null)
        {
            logger.LogWarning("Client {ClientId} rejected: {Reason}", request.ClientId, problem);
            await context.Publish(new ClientRejected(request.ClientId, problem, now));
            return;
        }
        await health.UpsertAsync(new ClientHealth(request.ClientId, ClientStatus.Healthy, now, request.Capabilities!.ExampleCount, 0, request.Capabilities.MemoryBytes), context.CancellationToken);
        await context.Publish(new ClientRegistered(request.ClientId, request.Capabilities, now));
    }
}
