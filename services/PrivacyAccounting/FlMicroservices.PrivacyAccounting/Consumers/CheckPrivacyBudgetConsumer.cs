using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.PrivacyAccounting.Consumers;

/// <summary>Answers the selector: may the next round run within the task's privacy budget?</summary>
public sealed class CheckPrivacyBudgetConsumer(PrivacyLedger ledger) : IConsumer<CheckPrivacyBudget>
{
    public Task Consume(ConsumeContext<CheckPrivacyBudget> context)
    {
        var request = context.Message;
        var task = ledger.Find(request.TaskId);
        if (task is null)
            return context.RespondAsync(new PrivacyBudgetDecision(request.TaskId, request.Round, false, 0, $"task '{request.TaskId}' has no privacy account"));
        if (!task.Config.Enabled)
            return context.RespondAsync(new PrivacyBudgetDecision(request.TaskId, request.Round, true, 0, "differential privacy is off for this task"));
        return context.RespondAsync(new PrivacyBudgetDecision(request.TaskId, request.Round, false, task.EpsilonSpent,
            "differential privacy is not available in this version; the task cannot run with it"));
    }
}
