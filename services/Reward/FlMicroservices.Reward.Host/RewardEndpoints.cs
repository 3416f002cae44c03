using FlMicroservices.ServiceDefaults.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlMicroservices.Reward.Host;

/// <summary>The operator API of the reward ledger: balances, one client's ledger, a task's payouts per round (docs/operator-api.md).</summary>
public static class RewardEndpoints
{
    /// <summary>Maps the endpoints; returns their group (all of them read) for an authorization policy to attach to.</summary>
    public static RouteGroupBuilder MapRewards(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api").WithTags("Rewards");
        read.MapGet("/rewards/balances", Balances).WithName("ListRewardBalances")
            .WithSummary("Every client's token balance (or what it earned in one task), one page at a time.");
        read.MapGet("/rewards/clients/{clientId}", Client).WithName("GetClientRewards")
            .WithSummary("One client's balance and its ledger entries: task, round, amount, reason.");
        read.MapGet("/tasks/{taskId}/rewards", TaskPayouts).WithName("ListTaskRewards")
            .WithSummary("A task's payouts, one entry per paid round with each client's share.");
        return read;
    }

    private static Results<Ok<RewardBalancePage>, ProblemHttpResult> Balances(TokenLedger ledger, string? task = null, int offset = 0, int limit = 100)
    {
        if (((task is null ? null : ApiProblems.BadId("task", task)) ?? ApiProblems.BadPage(offset, limit)) is { } bad) return bad;
        var rounds = ledger.PaidRounds().Where(p => task is null || p.TaskId == task).ToArray();
        if (task is not null && rounds.Length == 0) return UnknownTask("task", task);
        var balances = rounds.SelectMany(p => p.Rewards.Select(r => (p.TaskId, p.Round, r.ClientId, r.Tokens)))
            .GroupBy(r => r.ClientId, StringComparer.Ordinal)
            .Select(g => new ClientBalance(g.Key, g.Sum(r => r.Tokens), g.Count()))
            .OrderBy(b => b.ClientId, StringComparer.Ordinal).ToArray();
        return TypedResults.Ok(new RewardBalancePage(task, balances.Length, offset, limit, balances.Sum(b => b.Balance), [.. balances.Skip(offset).Take(limit)]));
    }

    private static Results<Ok<ClientLedger>, ProblemHttpResult> Client(string clientId, TokenLedger ledger, string? task = null)
    {
        if ((ApiProblems.BadId("clientId", clientId) ?? (task is null ? null : ApiProblems.BadId("task", task))) is { } bad) return bad;
        var entries = ledger.PaidRounds()
            .SelectMany(p => p.Rewards.Where(r => r.ClientId == clientId).Select(r => new LedgerEntry(p.TaskId, p.Round, r.Tokens, r.Score, r.Balance,
                $"share {r.Score:0.####} of round {p.Round}'s tokens for its training examples")))
            .ToArray();
        if (entries.Length == 0) return ApiProblems.Problem(404, "clientId", $"client '{clientId}' has no rewards in this reward service");
        var shown = task is null ? entries : entries.Where(e => e.TaskId == task).ToArray();
        if (shown.Length == 0) return ApiProblems.Problem(404, "task", $"client '{clientId}' earned nothing in task '{task}'");
        return TypedResults.Ok(new ClientLedger(clientId, ledger.BalanceOf(clientId), task, shown.Sum(e => e.Amount), shown));
    }

    private static Results<Ok<TaskRewardPage>, ProblemHttpResult> TaskPayouts(string taskId, TokenLedger ledger, int offset = 0, int limit = 100)
    {
        if ((ApiProblems.BadId("taskId", taskId) ?? ApiProblems.BadPage(offset, limit)) is { } bad) return bad;
        var rounds = ledger.PaidRounds().Where(p => p.TaskId == taskId).ToArray();
        if (rounds.Length == 0) return UnknownTask("taskId", taskId);
        return TypedResults.Ok(new TaskRewardPage(taskId, rounds.Length, offset, limit, rounds.Sum(p => p.Rewards.Sum(r => r.Tokens)),
            [.. rounds.Skip(offset).Take(limit).Select(p => new RoundPayout(p.Round, p.Rewards.Sum(r => r.Tokens), p.Announced,
                [.. p.Rewards.Select(r => new Payout(r.ClientId, r.Tokens, r.Score))]))]));
    }

    private static ProblemHttpResult UnknownTask(string field, string taskId) =>
        ApiProblems.Problem(404, field, $"task '{taskId}' has no paid rounds in this reward service");
}

/// <summary>One page of balances; <see cref="Task"/> is the filter (null: all tasks), <see cref="TotalTokens"/> the sum over every page.</summary>
public sealed record RewardBalancePage(string? Task, int Total, int Offset, int Limit, decimal TotalTokens, ClientBalance[] Items);

/// <summary>A client's tokens and the number of rounds that paid it.</summary>
public sealed record ClientBalance(string ClientId, decimal Balance, int Rounds);

/// <summary>A client's balance over all tasks and its ledger entries (of <see cref="Task"/> when set; <see cref="Earned"/> sums them).</summary>
public sealed record ClientLedger(string ClientId, decimal Balance, string? Task, decimal Earned, LedgerEntry[] Entries);

/// <summary>One credit: the round that paid it, the amount, the client's data-share score, the balance it left and why.</summary>
public sealed record LedgerEntry(string TaskId, int Round, decimal Amount, double Score, decimal BalanceAfter, string Reason);

/// <summary>One page of a task's paid rounds; <see cref="TotalTokens"/> sums every round.</summary>
public sealed record TaskRewardPage(string TaskId, int Total, int Offset, int Limit, decimal TotalTokens, RoundPayout[] Items);

/// <summary>A round's payout: its total, whether RewardsIssued went out, and each client's share.</summary>
public sealed record RoundPayout(int Round, decimal Total, bool Announced, Payout[] Payouts);

/// <summary>What one client got in one round.</summary>
public sealed record Payout(string ClientId, decimal Tokens, double Score);
