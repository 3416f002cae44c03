using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.PrivacyAccounting.Consumers;

/// <summary>Opens a task's privacy account, for a task the registry signed.</summary>
public sealed class TaskCreatedConsumer(PrivacyLedger ledger, CommandSigning signing, ILogger<TaskCreatedConsumer> logger) : IConsumer<TaskCreated>
{
    public Task Consume(ConsumeContext<TaskCreated> context)
    {
        if (signing.Refuses(context.Message, logger)) return Task.CompletedTask;
        ledger.Add(context.Message.TaskId, context.Message.Spec);
        return Task.CompletedTask;
    }
}
