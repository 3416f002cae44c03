using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace FlMicroservices.Cli.Commands;

/// <summary>`fl task list|status|cancel|pause|resume`: tasks and their rounds over the operator API (docs/operator-api.md).</summary>
public static class TaskApiCommands
{
    /// <summary>The task states the API filters by.</summary>
    public static readonly string[] States = ["Created", "Running", "Paused", "Completed", "Failed", "Cancelled"];

    public static IEnumerable<Command> Create()
    {
        var api = OperatorApi.UrlOption();
        var token = OperatorApi.TokenOption();
        var task = OperatorApi.TaskOption();
        var state = new Option<string?>("--state") { Description = $"Only tasks in this state: {string.Join(", ", States)}" };
        var limit = new Option<int>("--limit") { Description = "Tasks (list) or rounds (status) shown, from the first (at most 500)", DefaultValueFactory = _ => 100 };

        var list = new Command("list", "List the tasks with state, rounds done, model version and accuracy") { api, token, state, limit };
        list.SetAction((parse, cancellationToken) =>
        {
            const string command = "fl task list";
            var wanted = parse.GetValue(state);
            if (wanted is not null && !States.Contains(wanted, StringComparer.OrdinalIgnoreCase))
                return Task.FromResult(OperatorApi.Invalid(command, $"--state '{wanted}' is unknown (known: {string.Join(", ", States)})"));
            if (BadLimit(parse.GetValue(limit)) is { } bad) return Task.FromResult(OperatorApi.Invalid(command, bad));
            return OperatorApi.RunAsync(command, "--api", parse.GetValue(api)!, OperatorApi.Token(parse), http => ListAsync(http, wanted, parse.GetValue(limit), Console.Out, cancellationToken));
        });

        var status = new Command("status", "Show a task's state and its rounds: outcome, accuracy, loss, participants, rejections with reasons") { api, token, task, limit };
        status.SetAction((parse, cancellationToken) =>
        {
            const string command = "fl task status";
            if ((OperatorApi.BadTask(parse.GetValue(task)!) ?? BadLimit(parse.GetValue(limit))) is { } bad) return Task.FromResult(OperatorApi.Invalid(command, bad));
            return OperatorApi.RunAsync(command, "--api", parse.GetValue(api)!, OperatorApi.Token(parse), http => StatusAsync(http, parse.GetValue(task)!, parse.GetValue(limit), Console.Out, cancellationToken));
        });

        foreach (var sub in new[] { status, list }) yield return sub;
        foreach (var (verb, what) in new[] { ("cancel", "End a task now (TaskCompleted: \"cancelled by operator\")"),
                     ("pause", "Start no new round after the current one, until resume"), ("resume", "Lift a pause: the held round starts") })
        {
            var control = new Command(verb, what) { api, token, task };
            control.SetAction((parse, cancellationToken) =>
            {
                var command = $"fl task {verb}";
                if (OperatorApi.BadTask(parse.GetValue(task)!) is { } bad) return Task.FromResult(OperatorApi.Invalid(command, bad));
                return OperatorApi.RunAsync(command, "--api", parse.GetValue(api)!, OperatorApi.Token(parse), http => ControlAsync(http, verb, parse.GetValue(task)!, Console.Out, cancellationToken));
            });
            yield return control;
        }
    }

    /// <summary>One line per task; exit 1 with the API's problem detail when the request fails.</summary>
    public static async Task<int> ListAsync(HttpClient http, string? state, int limit, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(output);
        var query = FormattableString.Invariant($"api/tasks?limit={limit}") + (state is null ? "" : $"&state={Uri.EscapeDataString(state)}");
        using var response = await http.GetAsync(query, cancellationToken);
        if (!response.IsSuccessStatusCode) return await OperatorApi.ProblemAsync("fl task list", response, cancellationToken);
        using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var items = page.RootElement.GetProperty("items").EnumerateArray().ToArray();
        var width = Math.Max(4, items.Select(i => i.GetProperty("taskId").GetString()!.Length).DefaultIfEmpty(0).Max());
        output.WriteLine($"{"task".PadRight(width)} {"state",-9} {"rounds",9} {"failed",6} {"version",7} {"accuracy",9} {"best",5}  model / strategy");
        foreach (var item in items)
        {
            var rounds = FormattableString.Invariant($"{item.GetProperty("roundsEnded").GetInt32()}/{item.GetProperty("rounds").GetInt32()}");
            output.WriteLine(FormattableString.Invariant(
                $"{item.GetProperty("taskId").GetString()!.PadRight(width)} {item.GetProperty("state").GetString(),-9} {rounds,9} {item.GetProperty("failedRounds").GetInt32(),6} {OperatorApi.Number(item, "modelVersion", "0"),7} {OperatorApi.Number(item, "accuracy", "P2"),9} {OperatorApi.Number(item, "bestModelVersion", "0"),5}  {item.GetProperty("modelName").GetString()} / {item.GetProperty("strategy").GetString()}"));
        }
        var total = page.RootElement.GetProperty("total").GetInt32();
        output.WriteLine(FormattableString.Invariant($"{total} task{(total == 1 ? "" : "s")}{(state is null ? "" : $" {state}")}{(items.Length < total ? $", first {items.Length} shown" : "")}"));
        return CliRunner.Ok;
    }

    /// <summary>The task's state, then one line per round (rejections and failure reasons indented below it).</summary>
    public static async Task<int> StatusAsync(HttpClient http, string task, int limit, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(output);
        var escaped = Uri.EscapeDataString(task);
        using var response = await http.GetAsync($"api/tasks/{escaped}", cancellationToken);
        if (!response.IsSuccessStatusCode) return await OperatorApi.ProblemAsync("fl task status", response, cancellationToken);
        using var rounds = await http.GetAsync(FormattableString.Invariant($"api/tasks/{escaped}/rounds?limit={limit}"), cancellationToken);
        if (!rounds.IsSuccessStatusCode) return await OperatorApi.ProblemAsync("fl task status", rounds, cancellationToken);
        using var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var summary = detail.RootElement.GetProperty("task");
        WriteSummary(summary, output);
        using var page = JsonDocument.Parse(await rounds.Content.ReadAsStringAsync(cancellationToken));
        output.WriteLine(FormattableString.Invariant($"{"round",5} {"started",20} {"outcome",-7} {"version",7} {"accuracy",9} {"loss",8} {"selected",8} {"used",5} {"rejected",8}"));
        foreach (var round in page.RootElement.GetProperty("items").EnumerateArray())
        {
            var outcome = round.TryGetProperty("succeeded", out var s) && s.ValueKind != JsonValueKind.Null ? (s.GetBoolean() ? "ok" : "failed") : "running";
            var started = round.TryGetProperty("startedAt", out var at) && at.ValueKind == JsonValueKind.String
                ? at.GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-";
            var rejected = Items(round, "rejected");
            output.WriteLine(FormattableString.Invariant(
                $"{round.GetProperty("round").GetInt32(),5} {started,20} {outcome,-7} {OperatorApi.Number(round, "resultVersion", "0"),7} {OperatorApi.Number(round, "accuracy", "P2"),9} {OperatorApi.Number(round, "loss", "F4"),8} {Items(round, "participants").Length,8} {Items(round, "contributors").Length,5} {rejected.Length,8}"));
            if (round.TryGetProperty("failureReason", out var failure) && failure.ValueKind == JsonValueKind.String) output.WriteLine($"      failed: {failure.GetString()}");
            foreach (var r in rejected) output.WriteLine($"      rejected {r.GetProperty("clientId").GetString()}: {r.GetProperty("reason").GetString()}");
        }
        return CliRunner.Ok;
    }

    /// <summary>POSTs cancel, pause or resume and prints the task's state after it.</summary>
    public static async Task<int> ControlAsync(HttpClient http, string verb, string task, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(output);
        using var response = await http.PostAsync($"api/tasks/{Uri.EscapeDataString(task)}/{verb}", null, cancellationToken);
        if (!response.IsSuccessStatusCode) return await OperatorApi.ProblemAsync($"fl task {verb}", response, cancellationToken);
        using var summary = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        WriteSummary(summary.RootElement, output);
        return CliRunner.Ok;
    }

    private static void WriteSummary(JsonElement task, TextWriter output)
    {
        output.WriteLine($"task      {task.GetProperty("taskId").GetString()}: {task.GetProperty("state").GetString()}" +
            (task.TryGetProperty("endReason", out var reason) && reason.ValueKind == JsonValueKind.String ? $" ({reason.GetString()})" : ""));
        output.WriteLine(FormattableString.Invariant(
            $"rounds    {task.GetProperty("roundsEnded").GetInt32()} of {task.GetProperty("rounds").GetInt32()} ended, {task.GetProperty("failedRounds").GetInt32()} failed, last started {task.GetProperty("lastStartedRound").GetInt32()}") +
            (task.TryGetProperty("heldRound", out var held) && held.ValueKind == JsonValueKind.Number ? FormattableString.Invariant($", round {held.GetInt32()} held by the pause") : ""));
        output.WriteLine($"model     version {OperatorApi.Number(task, "modelVersion", "0")}, accuracy {OperatorApi.Number(task, "accuracy", "P2")}; best version {OperatorApi.Number(task, "bestModelVersion", "0")}, accuracy {OperatorApi.Number(task, "bestAccuracy", "P2")}");
    }

    private static JsonElement[] Items(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()] : [];

    private static string? BadLimit(int limit) => limit is < 1 or > 500 ? $"--limit {limit} must be in [1, 500]" : null;
}
