using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Registry.Consumers;

/// <summary>
/// Records who of a round's participants uploaded, demoting clients that keep being selected and never upload, and counts the
/// round into each client's participation (the fleet's view of who takes part and who is rejected); only for a round the model registry signed.
/// </summary>
public sealed class RoundCompletedConsumer(ParticipationRecord participation, ParticipationLedger ledger, CommandSigning signing, ILogger<RoundCompletedConsumer> logger)
    : IConsumer<RoundCompleted>
{
    public async Task Consume(ConsumeContext<RoundCompleted> context)
    {
        if (signing.Refuses(context.Message, logger)) return;
        await participation.RecordAsync(context.Message, context.CancellationToken);
        await ledger.RecordRoundAsync(context.Message, context.CancellationToken);
    }
}
