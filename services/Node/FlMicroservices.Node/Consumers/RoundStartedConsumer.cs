using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Node.Consumers;

/// <summary>Trains and submits for every hosted client the round selected.</summary>
public sealed class RoundStartedConsumer(RoundParticipation participation) : IConsumer<RoundStarted>
{
    public Task Consume(ConsumeContext<RoundStarted> context) => participation.RunAsync(context.Message, context, context.CancellationToken);
}
