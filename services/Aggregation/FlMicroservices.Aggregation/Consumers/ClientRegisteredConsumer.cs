using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Keeps the public keys the registry bound to a client, to verify its signed updates; only from a registration the registry signed.</summary>
public sealed class ClientRegisteredConsumer(ClientKeyDirectory keys, CommandSigning signing, ILogger<ClientRegisteredConsumer> logger) : IConsumer<ClientRegistered>
{
    // A forged one would put the forger's key in the client's place, and its updates would then verify as the client's.
    public Task Consume(ConsumeContext<ClientRegistered> context) =>
        signing.Refuses(context.Message, logger) ? Task.CompletedTask : keys.RecordAsync(context.Message, context.CancellationToken);
}
