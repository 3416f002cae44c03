using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;

namespace FlMicroservices.Services.Tests.Selector;

/// <summary>The privacy accountant's part in the selector's tests: every round is within budget, signed with the accountant's key when the test registers one.</summary>
internal sealed class AllowEveryRound(PrivacyAccountantKey? key = null) : IConsumer<CheckPrivacyBudget>
{
    public Task Consume(ConsumeContext<CheckPrivacyBudget> context)
    {
        var decision = new PrivacyBudgetDecision(context.Message.TaskId, context.Message.Round, true, 0.1, "within budget");
        return context.RespondAsync(key is null ? decision : key.Signing.Sign(decision));
    }
}

/// <summary>The privacy accountant's command signing, in selector tests that run with signed commands on (the selector's own is its host's).</summary>
internal sealed record PrivacyAccountantKey(CommandSigning Signing);
