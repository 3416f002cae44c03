using FlMicroservices.Contracts.V1;
using FlMicroservices.ServiceDefaults.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlMicroservices.PrivacyAccounting.Host;

/// <summary>The operator API of privacy accounting: a task's ε spent against its budget per round, and per client under local DP (docs/operator-api.md).</summary>
public static class PrivacyEndpoints
{
    /// <summary>What accounts the rounds: Rényi DP of the subsampled Gaussian mechanism, converted to (ε, δ).</summary>
    public const string Accountant = "RDP (subsampled Gaussian, Mironov 2017), converted to (ε, δ)";

    /// <summary>Maps the endpoints; returns their group (all of them read) for an authorization policy to attach to.</summary>
    public static RouteGroupBuilder MapPrivacy(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/tasks/{taskId}/privacy").WithTags("Privacy");
        group.MapGet("/", Account).WithName("GetTaskPrivacy")
            .WithSummary("ε spent, δ, budget and what remains, the accountant, and each completed round's ε (rounds paged).");
        group.MapGet("/clients", Clients).WithName("ListClientPrivacy")
            .WithSummary("Local DP: the ε each client has spent and what remains of the budget, one page at a time.");
        return group;
    }

    private static Results<Ok<TaskPrivacyReport>, ProblemHttpResult> Account(string taskId, PrivacyLedger ledger, int offset = 0, int limit = 100)
    {
        if ((ApiProblems.BadId("taskId", taskId) ?? ApiProblems.BadPage(offset, limit)) is { } bad) return bad;
        if (ledger.Find(taskId) is not { } task) return UnknownTask(taskId);
        var config = task.Config;
        var spent = task.EpsilonSpent;
        var rounds = task.Rounds();
        return TypedResults.Ok(new TaskPrivacyReport(taskId, config.Enabled, config.Enabled ? config.Mechanism.ToString() : "None",
            config.Enabled ? Accountant : null, spent, config.Delta, config.EpsilonBudget, config.Enabled ? Math.Max(0, config.EpsilonBudget - spent) : null,
            config.NoiseMultiplier, rounds.Count, offset, limit, [.. rounds.Skip(offset).Take(limit)]));
    }

    private static Results<Ok<ClientPrivacyPage>, ProblemHttpResult> Clients(string taskId, PrivacyLedger ledger, int offset = 0, int limit = 100)
    {
        if ((ApiProblems.BadId("taskId", taskId) ?? ApiProblems.BadPage(offset, limit)) is { } bad) return bad;
        if (ledger.Find(taskId) is not { } task) return UnknownTask(taskId);
        if (task.Config is not { Enabled: true, Mechanism: PrivacyMechanism.Local })
            return ApiProblems.Problem(409, "taskId", task.Config.Enabled
                ? $"task '{taskId}' uses central DP: ε is accounted for the task as a whole (GET /api/tasks/{taskId}/privacy), not per client"
                : $"task '{taskId}' runs without differential privacy: no client spends ε");
        var budget = task.Config.EpsilonBudget;
        var clients = task.ClientEpsilons().OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => new ClientPrivacy(c.Key, c.Value, Math.Max(0, budget - c.Value))).ToArray();
        return TypedResults.Ok(new ClientPrivacyPage(taskId, budget, task.Config.Delta, clients.Length, offset, limit, [.. clients.Skip(offset).Take(limit)]));
    }

    private static ProblemHttpResult UnknownTask(string taskId) =>
        ApiProblems.Problem(404, "taskId", $"task '{taskId}' has no privacy account in this service");
}

/// <summary>A task's privacy account: ε spent at δ against the budget, what remains, and one page of its completed rounds.</summary>
/// <param name="Mechanism">Central, Local, or None when the task runs without differential privacy.</param>
/// <param name="Remaining">The budget minus ε spent (never below 0); null without DP.</param>
public sealed record TaskPrivacyReport(string TaskId, bool Enabled, string Mechanism, string? Accountant, double EpsilonSpent, double Delta, double EpsilonBudget,
    double? Remaining, double NoiseMultiplier, int Total, int Offset, int Limit, PrivacyRound[] Rounds);

/// <summary>One page of a local-DP task's clients with the ε each has spent.</summary>
public sealed record ClientPrivacyPage(string TaskId, double EpsilonBudget, double Delta, int Total, int Offset, int Limit, ClientPrivacy[] Items);

/// <summary>A client's ε spent in a task and what remains of the task's budget for it.</summary>
public sealed record ClientPrivacy(string ClientId, double EpsilonSpent, double Remaining);
