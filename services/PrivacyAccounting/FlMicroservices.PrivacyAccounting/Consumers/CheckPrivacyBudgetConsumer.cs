using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.PrivacyAccounting.Consumers;

/// <summary>
/// Answers the selector: may the next round run within the task's privacy budget? A refusal for the budget is announced
/// once with <see cref="PrivacyBudgetExhausted"/> (before the answer, so subscribers see it before the task completes). The answer is signed.
/// </summary>
public sealed class CheckPrivacyBudgetConsumer(PrivacyLedger ledger, CommandSigning signing, ILogger<CheckPrivacyBudgetConsumer> logger)
    : IConsumer<CheckPrivacyBudget>
{
    /// <summary>How long a check for a task this service has not seen waits for its TaskCreated (within the selector's 30 s request timeout).</summary>
    public static readonly TimeSpan TaskCreatedWait = TimeSpan.FromSeconds(15);

    public async Task Consume(ConsumeContext<CheckPrivacyBudget> context)
    {
        var request = context.Message;
        var task = await ledger.FindAsync(request.TaskId, TaskCreatedWait, context.CancellationToken);
        if (task is null)
        {
            await context.RespondAsync(signing.Sign(new PrivacyBudgetDecision(request.TaskId, request.Round, false, 0, $"task '{request.TaskId}' has no privacy account")));
            return;
        }
        var decision = task.Decide(request.Round, request.SampleRate);
        if (decision.Exhausted is { } exhausted && task.TryAnnounceExhaustion())
        {
            logger.LogInformation("Task {TaskId}: privacy budget exhausted after {Rounds} rounds (ε = {Spent:G4} of {Budget:G4})",
                request.TaskId, exhausted.RoundsCompleted, exhausted.EpsilonSpent, exhausted.EpsilonBudget);
            await context.Publish(exhausted);
        }
        await context.RespondAsync(signing.Sign(new PrivacyBudgetDecision(request.TaskId, request.Round, decision.Allowed, decision.EpsilonIfRun, decision.Reason)));
    }
}
