using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Registry.Consumers;

/// <summary>Records a refused registration or heartbeat in the client's participation, with its reason.</summary>
public sealed class ClientRejectedConsumer(ParticipationLedger ledger) : IConsumer<ClientRejected>
{
    public Task Consume(ConsumeContext<ClientRejected> context) => ledger.RecordRefusalAsync(context.Message, context.CancellationToken);
}
