using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.PrivacyAccounting.Consumers;

/// <summary>Opens a task's privacy account.</summary>
public sealed class TaskCreatedConsumer(PrivacyLedger ledger) : IConsumer<TaskCreated>
{
    public Task Consume(ConsumeContext<TaskCreated> context)
    {
        ledger.Add(context.Message.TaskId, context.Message.Spec);
        return Task.CompletedTask;
    }
}
