using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Telemetry;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.PrivacyAccounting.Consumers;

/// <summary>Records a completed round (as the model registry signed it) in the task's privacy account and publishes the ε actually spent.</summary>
public sealed class RoundCompletedConsumer(PrivacyLedger ledger, CommandSigning signing, ILogger<RoundCompletedConsumer> logger) : IConsumer<RoundCompleted>
{
    public async Task Consume(ConsumeContext<RoundCompleted> context)
    {
        var round = context.Message;
        if (signing.Refuses(round, logger)) return;
        var task = ledger.Find(round.TaskId) ?? throw new InvalidOperationException($"Task '{round.TaskId}' has no privacy account.");
        var spent = task.RecordCompleted(round);
        FlTelemetry.PrivacySpent(round.TaskId, spent);
        await context.Publish(new PrivacyBudgetUpdated(round.TaskId, round.Round, task.Config.Enabled, spent,
            task.Config.EpsilonBudget, task.Config.Delta));
    }
}
