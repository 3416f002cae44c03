using System.CommandLine;
using System.Text.Json;

namespace FlMicroservices.Cli.Commands;

/// <summary>`fl rewards`: token balances, or one client's ledger, over the reward service's operator API (docs/operator-api.md).</summary>
public static class RewardsCommand
{
    public static Command Create()
    {
        var api = OperatorApi.UrlOption();
        var token = OperatorApi.TokenOption();
        var client = new Option<string?>("--client") { Description = "Show this client's ledger entries instead of every balance" };
        var task = new Option<string?>("--task") { Description = "Only what was earned in this task" };
        var limit = new Option<int>("--limit") { Description = "Clients shown, from the first (at most 500)", DefaultValueFactory = _ => 100 };
        var command = new Command("rewards", "Token balances per client, or one client's ledger (task, round, amount, reason)") { api, token, client, task, limit };
        command.SetAction((parse, cancellationToken) =>
        {
            var (clientId, taskId) = (parse.GetValue(client), parse.GetValue(task));
            if ((OperatorApi.BadId("--client", clientId) ?? OperatorApi.BadId("--task", taskId)) is { } bad)
                return Task.FromResult(OperatorApi.Invalid("fl rewards", bad));
            return OperatorApi.RunAsync("fl rewards", "--api", parse.GetValue(api)!, OperatorApi.Token(parse),
                http => clientId is null
                    ? BalancesAsync(http, taskId, parse.GetValue(limit), Console.Out, cancellationToken)
                    : ClientAsync(http, clientId, taskId, Console.Out, cancellationToken));
        });
        return command;
    }

    /// <summary>Prints one line per client (balance, rounds paid) and the totals; exit 1 with the API's problem detail when the request fails.</summary>
    public static async Task<int> BalancesAsync(HttpClient http, string? task, int limit, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(output);
        using var response = await http.GetAsync("api/rewards/balances" + OperatorApi.Query(("task", task), ("limit", $"{limit}")), cancellationToken);
        if (!response.IsSuccessStatusCode) return await OperatorApi.ProblemAsync("fl rewards", response, cancellationToken);
        using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var root = page.RootElement;
        output.WriteLine(FormattableString.Invariant($"{"client",-24} {"tokens",14} {"rounds",6}"));
        foreach (var item in root.GetProperty("items").EnumerateArray())
            output.WriteLine(FormattableString.Invariant(
                $"{item.GetProperty("clientId").GetString(),-24} {OperatorApi.Number(item, "balance", "F4"),14} {item.GetProperty("rounds").GetInt32(),6}"));
        output.WriteLine(FormattableString.Invariant(
            $"{root.GetProperty("total").GetInt32()} clients; {OperatorApi.Number(root, "totalTokens", "F4")} tokens{(task is null ? "" : $" in task {task}")}"));
        return CliRunner.Ok;
    }

    /// <summary>Prints one line per ledger entry (task, round, amount, balance after, reason) and the client's balance.</summary>
    public static async Task<int> ClientAsync(HttpClient http, string client, string? task, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(output);
        using var response = await http.GetAsync($"api/rewards/clients/{Uri.EscapeDataString(client)}" + OperatorApi.Query(("task", task)), cancellationToken);
        if (!response.IsSuccessStatusCode) return await OperatorApi.ProblemAsync("fl rewards", response, cancellationToken);
        using var ledger = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var root = ledger.RootElement;
        output.WriteLine(FormattableString.Invariant($"{"task",-20} {"round",5} {"tokens",12} {"balance",14}  reason"));
        foreach (var entry in root.GetProperty("entries").EnumerateArray())
            output.WriteLine(FormattableString.Invariant(
                $"{entry.GetProperty("taskId").GetString(),-20} {entry.GetProperty("round").GetInt32(),5} {OperatorApi.Number(entry, "amount", "F4"),12} {OperatorApi.Number(entry, "balanceAfter", "F4"),14}  {entry.GetProperty("reason").GetString()}"));
        output.WriteLine(FormattableString.Invariant(
            $"client {client}: balance {OperatorApi.Number(root, "balance", "F4")} tokens{(task is null ? "" : $"; {OperatorApi.Number(root, "earned", "F4")} earned in task {task}")}"));
        return CliRunner.Ok;
    }
}
