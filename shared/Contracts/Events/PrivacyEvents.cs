namespace FlMicroservices.Contracts.V1;

/// <summary>
/// The privacy accountant refused the next round of a task because it would take the spent ε past the task's budget;
/// the selector then ends the task (<see cref="TaskCompleted"/> with a reason naming the budget). Published once per task.
/// </summary>
/// <param name="RoundsCompleted">Rounds the accountant counted (every round it allowed).</param>
/// <param name="EpsilonSpent">ε spent by those rounds, at <paramref name="Delta"/>: never more than <paramref name="EpsilonBudget"/>.</param>
/// <param name="EpsilonBudget">The task's budget.</param>
/// <param name="Delta">δ of the guarantee.</param>
public sealed record PrivacyBudgetExhausted(
    string TaskId,
    int RoundsCompleted,
    double EpsilonSpent,
    double EpsilonBudget,
    double Delta);
