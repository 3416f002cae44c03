using System.CommandLine;
using System.IO.Compression;
using System.Text.Json;

namespace FlMicroservices.Cli.Commands;

/// <summary>`fl model list|export`: a task's model versions over the model registry's operator API (docs/operator-api.md).</summary>
public static class ModelCommand
{
    public static Command Create()
    {
        var registry = OperatorApi.UrlOption("--registry");
        var task = new Option<string>("--task") { Description = "Task id", Required = true };
        var limit = new Option<int>("--limit") { Description = "Versions shown, from the first (at most 500)", DefaultValueFactory = _ => 100 };
        var version = new Option<int>("--version") { Description = "Model version to export", Required = true };
        var outDir = new Option<string>("--out") { Description = "Folder for weights.bin and manifest.json (created if missing)", Required = true };

        var list = new Command("list", "List a task's model versions with accuracy, loss, parent, and which is current and best") { registry, task, limit };
        list.SetAction((parse, cancellationToken) => RunAsync("list", parse.GetValue(registry)!, parse.GetValue(task)!, http =>
            ListAsync(http, parse.GetValue(task)!, parse.GetValue(limit), Console.Out, cancellationToken)));
        var export = new Command("export", "Download one version as weights.bin plus manifest.json (model, shape, classes, lineage, metrics, digest)")
            { registry, task, version, outDir };
        export.SetAction((parse, cancellationToken) =>
        {
            if (OptionChecks.WritableFolder("--out", parse.GetValue(outDir)!) is { } problem)
            {
                Console.Error.WriteLine($"fl model export: {problem}");
                return Task.FromResult(CliRunner.InvalidOption);
            }
            return RunAsync("export", parse.GetValue(registry)!, parse.GetValue(task)!, http =>
                ExportAsync(http, parse.GetValue(task)!, parse.GetValue(version), parse.GetValue(outDir)!, Console.Out, cancellationToken));
        });
        return new Command("model", "A task's model versions on a running model registry") { list, export };
    }

    // A bad --task or --api exits 2 naming it; an unreachable API exits 1.
    private static Task<int> RunAsync(string verb, string api, string task, Func<HttpClient, Task<int>> action) =>
        OperatorApi.BadTask(task) is { } bad ? Task.FromResult(OperatorApi.Invalid($"fl model {verb}", bad))
            : OperatorApi.RunAsync($"fl model {verb}", "--api", api, action);

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
        return CliRunner.Ok;
    }

    /// <summary>Downloads the export zip and unpacks weights.bin and manifest.json into <paramref name="folder"/>.</summary>
    public static async Task<int> ExportAsync(HttpClient http, string task, int version, string folder, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(output);
        using var response = await http.GetAsync(FormattableString.Invariant($"api/tasks/{Uri.EscapeDataString(task)}/models/{version}/export"), cancellationToken);
        if (!response.IsSuccessStatusCode) return await ProblemAsync("export", response, cancellationToken);
        Directory.CreateDirectory(folder);
        await using var zipStream = await response.Content.ReadAsStreamAsync(cancellationToken);
        await ZipFile.ExtractToDirectoryAsync(zipStream, folder, overwriteFiles: true, cancellationToken);
        output.WriteLine($"wrote version {version} of {task} to {Path.GetFullPath(folder)} (weights.bin, manifest.json)");
        return CliRunner.Ok;
    }

    private static Task<int> ProblemAsync(string verb, HttpResponseMessage response, CancellationToken cancellationToken) =>
        OperatorApi.ProblemAsync($"fl model {verb}", response, cancellationToken);

    private static string Number(JsonElement element, string name, string format) => OperatorApi.Number(element, name, format);
}
