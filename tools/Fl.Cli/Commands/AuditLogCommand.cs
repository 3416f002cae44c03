using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace FlMicroservices.Cli.Commands;

/// <summary>`fl audit log`: the operator actions the gateway recorded (GET /api/audit; admin or auditor).</summary>
public static class AuditLogCommand
{
    public static Command Create()
    {
        var api = OperatorApi.UrlOption();
        var token = OperatorApi.TokenOption();
        var caller = new Option<string?>("--caller") { Description = "Only this caller's actions" };
        var task = new Option<string?>("--task") { Description = "Only actions on this task" };
        var limit = new Option<int>("--limit") { Description = "Entries shown, newest first (at most 500)", DefaultValueFactory = _ => 100 };
        var command = new Command("log", "The operator API's audit log, newest first: time, caller, roles, action, target, status, outcome (admin or auditor)")
        {
            api, token, caller, task, limit,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            const string name = "fl audit log";
            if (OperatorApi.BadId("--task", parse.GetValue(task)) is { } bad) return Task.FromResult(OperatorApi.Invalid(name, bad));
            if (parse.GetValue(limit) is < 1 or > 500) return Task.FromResult(OperatorApi.Invalid(name, $"--limit {parse.GetValue(limit)} must be in [1, 500]"));
            return OperatorApi.RunAsync(name, "--api", parse.GetValue(api)!, OperatorApi.Token(parse),
                http => ListAsync(http, parse.GetValue(caller), parse.GetValue(task), parse.GetValue(limit), Console.Out, cancellationToken));
        });
        return command;
    }

    /// <summary>One line per entry and the total; exit 1 with the API's problem detail when the request fails.</summary>
    public static async Task<int> ListAsync(HttpClient http, string? caller, string? task, int limit, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(output);
        using var response = await http.GetAsync("api/audit" + OperatorApi.Query(("caller", caller), ("task", task), ("limit", $"{limit}")), cancellationToken);
        if (!response.IsSuccessStatusCode) return await OperatorApi.ProblemAsync("fl audit log", response, cancellationToken);
        using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        foreach (var entry in page.RootElement.GetProperty("items").EnumerateArray())
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{entry.GetProperty("at").GetDateTimeOffset():yyyy-MM-dd HH:mm:ss}  {OperatorApi.Text(entry, "caller"),-16} {OperatorApi.Text(entry, "roles"),-15} {OperatorApi.Text(entry, "action"),-48} {OperatorApi.Text(entry, "target"),-24} {entry.GetProperty("status").GetInt32()} {OperatorApi.Text(entry, "outcome")}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{page.RootElement.GetProperty("total").GetInt32()} entries"));
        return CliRunner.Ok;
    }
}
