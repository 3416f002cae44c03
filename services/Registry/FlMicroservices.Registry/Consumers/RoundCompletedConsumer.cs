using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Registry.Consumers;

/// <summary>
/// Records who of a round's participants uploaded, demoting clients that keep being selected and never upload, and counts the
/// round into each client's participation (the fleet's view of who takes part and who is rejected).
/// </summary>
public sealed class RoundCompletedConsumer(ParticipationRecord participation, ParticipationLedger ledger) : IConsumer<RoundCompleted>
{
    public async Task Consume(ConsumeContext<RoundCompleted> context)
    {
        await participation.RecordAsync(context.Message, context.CancellationToken);
        await ledger.RecordRoundAsync(context.Message, context.CancellationToken);
    }
}
