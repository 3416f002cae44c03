using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Services.Tests.Selector;

/// <summary>The privacy accountant's part in the selector's tests: every round is within budget.</summary>
internal sealed class AllowEveryRound : IConsumer<CheckPrivacyBudget>
{
    public Task Consume(ConsumeContext<CheckPrivacyBudget> context) =>
        context.RespondAsync(new PrivacyBudgetDecision(context.Message.TaskId, context.Message.Round, true, 0.1, "within budget"));
}
