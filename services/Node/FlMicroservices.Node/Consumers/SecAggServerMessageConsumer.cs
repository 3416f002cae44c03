using FlMicroservices.Contracts.V1;
using FlMicroservices.Node.SecAgg;
using MassTransit;

namespace FlMicroservices.Node.Consumers;

/// <summary>Hands the aggregation service's secure-aggregation messages to the hosted clients they are for (others are ignored).</summary>
public sealed class SecAggServerMessageConsumer(SecureRoundParticipation participation) : IConsumer<SecAggServerMessage>
{
    public Task Consume(ConsumeContext<SecAggServerMessage> context) => participation.OnServerMessageAsync(context.Message, context, context.CancellationToken);
}
