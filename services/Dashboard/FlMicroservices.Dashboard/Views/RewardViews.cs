namespace FlMicroservices.Dashboard.Views;

/// <summary>Clients' balances (GET /api/rewards/balances).</summary>
public sealed record BalancePageView(string? Task, int Total, int Offset, int Limit, decimal TotalTokens, BalanceView[] Items);

/// <summary>A client's tokens and the rounds that paid it.</summary>
public sealed record BalanceView(string ClientId, decimal Balance, int Rounds);

/// <summary>A task's paid rounds (GET /api/tasks/{id}/rewards).</summary>
public sealed record TaskRewardsView(string TaskId, int Total, int Offset, int Limit, decimal TotalTokens, RoundPayoutView[] Items);

/// <summary>One paid round.</summary>
public sealed record RoundPayoutView(int Round, decimal Total, bool Announced, PayoutView[] Payouts);

/// <summary>A client's tokens and data-share score in one round.</summary>
public sealed record PayoutView(string ClientId, decimal Tokens, double Score);
