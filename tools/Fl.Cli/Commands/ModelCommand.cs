using System.CommandLine;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;

namespace FlMicroservices.Cli.Commands;

/// <summary>`fl model list|export|download|promote|rollback`: a task's model versions over the model registry's operator API (docs/operator-api.md).</summary>
public static class ModelCommand
{
    public static Command Create()
    {
        var registry = OperatorApi.UrlOption("--registry");
        var token = OperatorApi.TokenOption();
        var task = new Option<string>("--task") { Description = "Task id", Required = true };
        var limit = new Option<int>("--limit") { Description = "Versions shown, from the first (at most 500)", DefaultValueFactory = _ => 100 };
        var outDir = new Option<string>("--out") { Description = "Folder for weights.bin and manifest.json (created if missing)", Required = true };
        var reason = new Option<string?>("--reason") { Description = "Why, kept with the record of the change" };

        var list = new Command("list", "List a task's model versions with accuracy, loss, parent, and which is current and best") { registry, token, task, limit };
        list.SetAction((parse, cancellationToken) => RunAsync("list", parse, parse.GetValue(registry)!, parse.GetValue(task)!, http =>
            ListAsync(http, parse.GetValue(task)!, parse.GetValue(limit), Console.Out, cancellationToken)));

        Command Exporting(string verb, string description, bool versionRequired)
        {
            var version = new Option<int?>("--version")
                { Description = versionRequired ? "Model version to export" : "Model version to download (default: the current one)", Required = versionRequired };
            var command = new Command(verb, description) { registry, token, task, version, outDir };
            command.SetAction((parse, cancellationToken) =>
            {
                if (OptionChecks.WritableFolder("--out", parse.GetValue(outDir)!) is { } problem)
                {
                    Console.Error.WriteLine($"fl model {verb}: {problem}");
                    return Task.FromResult(CliRunner.InvalidOption);
                }
                return RunAsync(verb, parse, parse.GetValue(registry)!, parse.GetValue(task)!, http =>
                    ExportAsync(http, parse.GetValue(task)!, parse.GetValue(version), parse.GetValue(outDir)!, Console.Out, cancellationToken));
            });
            return command;
        }

        var promoteVersion = new Option<int>("--version") { Description = "Model version to make current", Required = true };
        var promote = new Command("promote", "Make a version current by hand; the next round trains from it") { registry, token, task, promoteVersion, reason };
        promote.SetAction((parse, cancellationToken) => RunAsync("promote", parse, parse.GetValue(registry)!, parse.GetValue(task)!, http =>
            PromoteAsync(http, parse.GetValue(task)!, parse.GetValue(promoteVersion), parse.GetValue(reason), Console.Out, cancellationToken)));
        var to = new Option<int?>("--to") { Description = "Version to roll back to (default: the best validated version)" };
        var rollback = new Command("rollback", "Roll the task back to an earlier version (default the best validated); the next round trains from it")
            { registry, token, task, to, reason };
        rollback.SetAction((parse, cancellationToken) => RunAsync("rollback", parse, parse.GetValue(registry)!, parse.GetValue(task)!, http =>
            RollbackAsync(http, parse.GetValue(task)!, parse.GetValue(to), parse.GetValue(reason), Console.Out, cancellationToken)));

        return new Command("model", "A task's model versions on a running model registry")
        {
            list,
            Exporting("export", "Download one version as weights.bin plus manifest.json (model, shape, classes, lineage, metrics, digest)", versionRequired: true),
            Exporting("download", "Download a version (default: the current one) as weights.bin plus manifest.json", versionRequired: false),
            promote,
            rollback,
        };
    }

    // A bad --task or --api exits 2 naming it; an unreachable API exits 1.
    private static Task<int> RunAsync(string verb, ParseResult parse, string api, string task, Func<HttpClient, Task<int>> action) =>
        OperatorApi.BadTask(task) is { } bad ? Task.FromResult(OperatorApi.Invalid($"fl model {verb}", bad))
            : OperatorApi.RunAsync($"fl model {verb}", "--api", api, OperatorApi.Token(parse), action);

    /// <summary>Prints one line per version; exit 1 with the API's problem detail when the request fails.</summary>
    public static async Task<int> ListAsync(HttpClient http, string task, int limit, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(output);
        using var response = await http.GetAsync($"api/tasks/{Uri.EscapeDataString(task)}/models?limit={limit}", cancellationToken);
        if (!response.IsSuccessStatusCode) return await ProblemAsync("list", response, cancellationToken);
        using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var root = page.RootElement;
        output.WriteLine(FormattableString.Invariant($"{"version",7} {"round",5} {"parent",6} {"accuracy",9} {"loss",8}  state"));
        foreach (var item in root.GetProperty("items").EnumerateArray())
        {
            var state = string.Join(", ", new[] { ("current", "current"), ("best", "best"), ("rolledBack", "rolled back") }
                .Where(f => item.GetProperty(f.Item1).GetBoolean()).Select(f => f.Item2));
            output.WriteLine(FormattableString.Invariant(
                $"{item.GetProperty("version").GetInt32(),7} {item.GetProperty("round").GetInt32(),5} {Number(item, "parentVersion", "0"),6} {Number(item, "accuracy", "P2"),9} {Number(item, "loss", "F4"),8}  {state}"));
        }
        output.WriteLine(FormattableString.Invariant($"{root.GetProperty("total").GetInt32()} versions; current {Number(root, "currentVersion", "0")}, best {Number(root, "bestVersion", "0")}"));
        if (root.TryGetProperty("promotions", out var promotions) && promotions.ValueKind == JsonValueKind.Array)
            foreach (var p in promotions.EnumerateArray())
                output.WriteLine(FormattableString.Invariant(
                    $"{p.GetProperty("kind").GetString()} by an operator after round {p.GetProperty("afterRound").GetInt32()}: version {p.GetProperty("version").GetInt32()} (was {p.GetProperty("fromVersion").GetInt32()}){(p.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? $": {r.GetString()}" : "")}"));
        return CliRunner.Ok;
    }

    /// <summary>Downloads the export zip of <paramref name="version"/> (null: the current version) and unpacks weights.bin and manifest.json into <paramref name="folder"/>.</summary>
    public static async Task<int> ExportAsync(HttpClient http, string task, int? version, string folder, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(output);
        var verb = version is null ? "download" : "export";
        if (version is null)
        {
            using var list = await http.GetAsync($"api/tasks/{Uri.EscapeDataString(task)}/models?limit=1", cancellationToken);
            if (!list.IsSuccessStatusCode) return await ProblemAsync(verb, list, cancellationToken);
            using var page = JsonDocument.Parse(await list.Content.ReadAsStringAsync(cancellationToken));
            if (!page.RootElement.TryGetProperty("currentVersion", out var current) || current.ValueKind != JsonValueKind.Number)
            {
                Console.Error.WriteLine($"fl model {verb}: task {task} has no current version; name one with --version");
                return CliRunner.Failed;
            }
            version = current.GetInt32();
        }
        using var response = await http.GetAsync(FormattableString.Invariant($"api/tasks/{Uri.EscapeDataString(task)}/models/{version}/export"), cancellationToken);
        if (!response.IsSuccessStatusCode) return await ProblemAsync(verb, response, cancellationToken);
        Directory.CreateDirectory(folder);
        await using var zipStream = await response.Content.ReadAsStreamAsync(cancellationToken);
        await ZipFile.ExtractToDirectoryAsync(zipStream, folder, overwriteFiles: true, cancellationToken);
        output.WriteLine($"wrote version {version} of {task} to {Path.GetFullPath(folder)} (weights.bin, manifest.json)");
        return CliRunner.Ok;
    }

    /// <summary>Makes <paramref name="version"/> current; prints what changed.</summary>
    public static Task<int> PromoteAsync(HttpClient http, string task, int version, string? reason, TextWriter output, CancellationToken cancellationToken) =>
        ChangeAsync(http, "promote", FormattableString.Invariant($"api/tasks/{Uri.EscapeDataString(task)}/models/{version}/promote") + OperatorApi.Query(("reason", reason)),
            output, cancellationToken);

    /// <summary>Rolls back to <paramref name="to"/> (null: the best validated version); prints what changed.</summary>
    public static Task<int> RollbackAsync(HttpClient http, string task, int? to, string? reason, TextWriter output, CancellationToken cancellationToken) =>
        ChangeAsync(http, "rollback", $"api/tasks/{Uri.EscapeDataString(task)}/models/rollback" + OperatorApi.Query(("to", to?.ToString(CultureInfo.InvariantCulture)), ("reason", reason)),
            output, cancellationToken);

    private static async Task<int> ChangeAsync(HttpClient http, string verb, string path, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(output);
        using var response = await http.PostAsync(path, null, cancellationToken);
        if (!response.IsSuccessStatusCode) return await ProblemAsync(verb, response, cancellationToken);
        using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var root = result.RootElement;
        var (task, version, previous) = (root.GetProperty("taskId").GetString(), root.GetProperty("version").GetInt32(), root.GetProperty("previousVersion").GetInt32());
        output.WriteLine(root.GetProperty("changed").GetBoolean()
            ? FormattableString.Invariant($"task {task}: version {version} is current (was {previous}); the next round trains from it")
            : FormattableString.Invariant($"task {task}: version {version} was current already; nothing changed"));
        return CliRunner.Ok;
    }

    private static Task<int> ProblemAsync(string verb, HttpResponseMessage response, CancellationToken cancellationToken) =>
        OperatorApi.ProblemAsync($"fl model {verb}", response, cancellationToken);

    private static string Number(JsonElement element, string name, string format) => OperatorApi.Number(element, name, format);
}
