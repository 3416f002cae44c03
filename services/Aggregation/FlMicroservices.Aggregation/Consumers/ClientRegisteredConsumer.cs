using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Aggregation.Consumers;

/// <summary>Keeps the public keys the registry bound to a client, to verify its signed updates.</summary>
public sealed class ClientRegisteredConsumer(ClientKeyDirectory keys) : IConsumer<ClientRegistered>
{
    public Task Consume(ConsumeContext<ClientRegistered> context) => keys.RecordAsync(context.Message, context.CancellationToken);
}
