using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Registry.Consumers;

/// <summary>Records who of a round's participants uploaded, demoting clients that keep being selected and never upload.</summary>
public sealed class RoundCompletedConsumer(ParticipationRecord participation) : IConsumer<RoundCompleted>
{
    public Task Consume(ConsumeContext<RoundCompleted> context) => participation.RecordAsync(context.Message, context.CancellationToken);
}
