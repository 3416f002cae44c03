using FlMicroservices.Infrastructure.Security;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.ModelRegistry;
using FlMicroservices.ModelRegistry.Host;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Api.Tests;

/// <summary>The model registry's operator endpoints on its real host, in process, over the embedded store.</summary>
public sealed class ModelVersionsApiTests : IAsyncLifetime
{
    private readonly string _home = Directory.CreateTempSubdirectory("fl-api-").FullName;
    private WebApplicationFactory<HostEntry> _factory = null!;
    private HttpClient _http = null!;

    private static readonly TaskSpec Spec = new() { ModelName = "logreg", SampleShape = [1], ClassCount = 2, Rounds = 3, Training = new TrainingConfig(1, 10, 0.1) };

    public async Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<HostEntry>().WithWebHostBuilder(b => b.UseSetting("Storage:Root", _home).UseTestAuth());
        _http = _factory.CreateClient().As(OperatorRoles.Admin);
        // Versions 0-3 of task-a: 1 is the best (0.9), 2 was rolled back (0.6), 3 is current (0.8); 3's parent is 1.
        var store = _factory.Services.GetRequiredService<IModelStore>();
        var now = DateTimeOffset.UtcNow;
        (int Version, int? Parent, double Accuracy, bool RolledBack)[] versions = [(0, null, 0.5, false), (1, 0, 0.9, false), (2, 1, 0.6, true), (3, 1, 0.8, false)];
        foreach (var (version, parent, accuracy, rolledBack) in versions)
        {
            float[] weights = [version, 1, 2, 3];
            await store.SaveVersionAsync(new ModelVersionInfo("task-a", version, version, parent, 4, WeightsFile.Digest(weights), accuracy, 1 - accuracy, rolledBack, now),
                weights, CancellationToken.None);
        }
        await store.SetCurrentVersionAsync("task-a", 3, CancellationToken.None);
        _factory.Services.GetRequiredService<TaskModels>().GetOrAdd("task-a", Spec);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Versions_are_listed_with_metrics_current_and_best_one_page_at_a_time()
    {
        var page = await _http.GetFromJsonAsync<ModelVersionPage>("/api/tasks/task-a/models?offset=1&limit=2");

        Assert.NotNull(page);
        Assert.Equal((3, 1, 0.9, 4), (page.CurrentVersion!.Value, page.BestVersion!.Value, page.BestAccuracy!.Value, page.Total));
        Assert.Equal([1, 2], page.Items.Select(v => v.Version));
        Assert.True(page.Items[0].Best);
        Assert.True(page.Items[1].RolledBack);
        Assert.False(page.Items[1].Current);
    }

    [Fact]
    public async Task A_version_carries_its_lineage_and_two_versions_compare()
    {
        var detail = await _http.GetFromJsonAsync<ModelVersionDetail>("/api/tasks/task-a/models/3");
        Assert.Equal([1, 0], detail!.Lineage);
        Assert.True(detail.Version.Current);

        var comparison = await _http.GetFromJsonAsync<ModelVersionComparison>("/api/tasks/task-a/models/compare?a=1&b=3");
        Assert.Equal(-0.1, comparison!.AccuracyDelta!.Value, 9);
        Assert.Equal(0.1, comparison.LossDelta!.Value, 9);
    }

    [Fact]
    public async Task An_export_is_a_zip_with_the_weights_and_a_manifest()
    {
        using var response = await _http.GetAsync("/api/tasks/task-a/models/3/export");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        using var zip = new ZipArchive(await response.Content.ReadAsStreamAsync());
        await using var weights = zip.GetEntry("weights.bin")!.Open();
        using var bytes = new MemoryStream();
        await weights.CopyToAsync(bytes);
        Assert.Equal([3f, 1, 2, 3], WeightsFile.Decode(bytes.ToArray(), "weights.bin"));
        using var manifest = JsonDocument.Parse(zip.GetEntry("manifest.json")!.Open());
        Assert.Equal("logreg", manifest.RootElement.GetProperty("model").GetString());
        Assert.Equal([1, 0], manifest.RootElement.GetProperty("lineage").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Theory]
    [InlineData("/api/tasks/task-a/models?limit=0", 400, "limit")]
    [InlineData("/api/tasks/task-a/models?offset=-1", 400, "offset")]
    [InlineData("/api/tasks/bad%20id/models", 400, "taskId")]
    [InlineData("/api/tasks/task-zz/models", 404, "taskId")]
    [InlineData("/api/tasks/task-a/models/9", 404, "version")]
    [InlineData("/api/tasks/task-a/models/compare?a=1", 400, "b")]
    [InlineData("/api/tasks/task-a/models/compare?a=1&b=-2", 400, "b")]
    [InlineData("/api/tasks/task-zz/models/0/export", 404, "taskId")]
    public async Task Bad_input_is_a_problem_document_that_names_the_field(string url, int status, string field)
    {
        using var response = await _http.GetAsync(url);
        await ProblemAssert.IsProblemAsync(response, status, field);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_every_endpoint_and_the_API_page_needs_no_CDN()
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Contains("/api/tasks/{taskId}/models", paths);
        Assert.Contains("/api/tasks/{taskId}/models/{version}", paths);
        Assert.Contains("/api/tasks/{taskId}/models/compare", paths);
        Assert.Contains("/api/tasks/{taskId}/models/{version}/export", paths);
        Assert.Contains("/api/tasks/{taskId}/models/{version}/promote", paths);
        Assert.Contains("/api/tasks/{taskId}/models/rollback", paths);

        var page = await _http.GetStringAsync("/scalar/");
        Assert.Contains("\"url\":\"openapi/v1.json\"", page);
        Assert.Contains("<script src=\"scalar.js\">", page); // served by this host, not a CDN
        Assert.DoesNotContain("https://", page);
        Assert.Contains("\"withDefaultFonts\":false", page); // no fonts CDN
        Assert.Contains("\"telemetry\":false", page);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/scalar/scalar.js")).StatusCode);
    }

    [Fact]
    public async Task Fl_model_list_and_export_print_the_versions_and_write_the_files()
    {
        using var output = new StringWriter();
        Assert.Equal(0, await Cli.Commands.ModelCommand.ListAsync(_http, "task-a", 100, output, CancellationToken.None));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length); // header, four versions, total
        Assert.Matches(@"^\s+1\s+1\s+0\s+90\.00 %\s+0\.1000\s+best$", lines[2].TrimEnd());
        Assert.Matches(@"^\s+2\s+2\s+1\s+60\.00 %\s+0\.4000\s+rolled back$", lines[3].TrimEnd());
        Assert.Matches(@"^\s+3\s+3\s+1\s+80\.00 %\s+0\.2000\s+current$", lines[4].TrimEnd());
        Assert.Equal("4 versions; current 3, best 1", lines[5].TrimEnd());

        var folder = Path.Combine(_home, "export-cli");
        Assert.Equal(0, await Cli.Commands.ModelCommand.ExportAsync(_http, "task-a", 1, folder, output, CancellationToken.None));
        var exported = await File.ReadAllBytesAsync(Path.Combine(folder, "weights.bin"));
        Assert.Equal([1f, 1, 2, 3], WeightsFile.Decode(exported, "weights.bin"));
        Assert.True(File.Exists(Path.Combine(folder, "manifest.json")));

        Assert.Equal(1, await Cli.Commands.ModelCommand.ListAsync(_http, "task-zz", 100, TextWriter.Null, CancellationToken.None));
    }

    [Fact]
    public async Task A_rollback_without_a_target_goes_to_the_best_version_and_the_list_records_that_an_operator_did_it()
    {
        using var response = await _http.PostAsync("/api/tasks/task-a/models/rollback", null);
        var result = await response.Content.ReadFromJsonAsync<PromotionResult>();
        Assert.Equal((1, 3, "rollback", true), (result!.Version, result.PreviousVersion, result.Kind, result.Changed));

        var page = await _http.GetFromJsonAsync<ModelVersionPage>("/api/tasks/task-a/models");
        Assert.Equal(1, page!.CurrentVersion);
        var record = Assert.Single(page.Promotions!);
        Assert.Equal((1, 1, 3, "rollback"), (record.Sequence, record.Version, record.FromVersion, record.Kind));
        Assert.Equal(1, _factory.Services.GetRequiredService<TaskModels>().Find("task-a")!.PendingPromotion);
    }

    [Fact]
    public async Task A_promote_takes_its_reason_from_the_body_or_the_query_and_a_second_one_changes_nothing()
    {
        using var first = await _http.PostAsJsonAsync("/api/tasks/task-a/models/2/promote", new PromotionRequest(Reason: "rolled back too eagerly"));
        Assert.True((await first.Content.ReadFromJsonAsync<PromotionResult>())!.Changed);
        using var again = await _http.PostAsync("/api/tasks/task-a/models/2/promote?reason=again", null);
        Assert.False((await again.Content.ReadFromJsonAsync<PromotionResult>())!.Changed);
        using var back = await _http.PostAsync("/api/tasks/task-a/models/rollback?to=0&reason=from%20scratch", null);
        Assert.Equal((0, 2), await back.Content.ReadFromJsonAsync<PromotionResult>() is { } r ? (r.Version, r.PreviousVersion) : default);

        var detail = await _http.GetFromJsonAsync<ModelVersionDetail>("/api/tasks/task-a/models/2");
        Assert.Equal(("promote", "rolled back too eagerly"), (Assert.Single(detail!.Promotions!).Kind, detail.Promotions![0].Reason));
        var page = await _http.GetFromJsonAsync<ModelVersionPage>("/api/tasks/task-a/models");
        Assert.Equal([(2, "promote"), (0, "rollback")], page!.Promotions!.Select(p => (p.Version, p.Kind)));
        Assert.Equal("from scratch", page.Promotions![1].Reason);
        Assert.Equal(0, page.CurrentVersion);
    }

    [Theory]
    [InlineData("/api/tasks/task-a/models/9/promote", 404, "version")]
    [InlineData("/api/tasks/task-zz/models/1/promote", 404, "taskId")]
    [InlineData("/api/tasks/bad%20id/models/1/promote", 400, "taskId")]
    [InlineData("/api/tasks/task-a/models/-1/promote", 400, "version")]
    [InlineData("/api/tasks/task-a/models/rollback?to=-1", 400, "to")]
    [InlineData("/api/tasks/task-a/models/rollback?to=9", 404, "to")]
    [InlineData("/api/tasks/task-zz/models/rollback", 404, "taskId")]
    [InlineData("/api/tasks/task-n/models/rollback", 400, "to")] // nothing validated: no default target
    public async Task Bad_promotions_are_problems_that_name_the_field(string url, int status, string field)
    {
        var store = _factory.Services.GetRequiredService<IModelStore>();
        float[] weights = [1, 2];
        await store.SaveVersionAsync(new ModelVersionInfo("task-n", 0, 0, null, 2, WeightsFile.Digest(weights), null, null, false, DateTimeOffset.UtcNow),
            weights, CancellationToken.None);
        _factory.Services.GetRequiredService<TaskModels>().GetOrAdd("task-n", Spec);

        using var response = await _http.PostAsync(url, null);
        await ProblemAssert.IsProblemAsync(response, status, field);
        Assert.Equal(3, await store.GetCurrentVersionAsync("task-a", CancellationToken.None)); // nothing changed
    }

    [Fact]
    public async Task A_body_that_contradicts_the_path_or_the_query_is_refused()
    {
        using var promote = await _http.PostAsJsonAsync("/api/tasks/task-a/models/2/promote", new PromotionRequest(To: 1));
        await ProblemAssert.IsProblemAsync(promote, 400, "to");
        using var rollback = await _http.PostAsJsonAsync("/api/tasks/task-a/models/rollback?to=1", new PromotionRequest(To: 0));
        await ProblemAssert.IsProblemAsync(rollback, 400, "to");
    }

    [Fact]
    public async Task Fl_model_promote_rollback_and_download_print_what_they_did()
    {
        using var output = new StringWriter();
        Assert.Equal(0, await Cli.Commands.ModelCommand.PromoteAsync(_http, "task-a", 2, "check", output, CancellationToken.None));
        Assert.Equal(0, await Cli.Commands.ModelCommand.PromoteAsync(_http, "task-a", 2, null, output, CancellationToken.None));
        Assert.Equal(0, await Cli.Commands.ModelCommand.RollbackAsync(_http, "task-a", null, null, output, CancellationToken.None));
        var folder = Path.Combine(_home, "download-cli");
        Assert.Equal(0, await Cli.Commands.ModelCommand.ExportAsync(_http, "task-a", null, folder, output, CancellationToken.None));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToArray();
        Assert.Equal("task task-a: version 2 is current (was 3); the next round trains from it", lines[0]);
        Assert.Equal("task task-a: version 2 was current already; nothing changed", lines[1]);
        Assert.Equal("task task-a: version 1 is current (was 2); the next round trains from it", lines[2]);
        Assert.StartsWith("wrote version 1 of task-a to ", lines[3]); // download takes the current version
        var downloaded = await File.ReadAllBytesAsync(Path.Combine(folder, "weights.bin"));
        Assert.Equal([1f, 1, 2, 3], WeightsFile.Decode(downloaded, "weights.bin"));

        using var listed = new StringWriter();
        Assert.Equal(0, await Cli.Commands.ModelCommand.ListAsync(_http, "task-a", 100, listed, CancellationToken.None));
        var history = listed.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToArray()[^2..];
        Assert.Equal(["promote by an operator after round 0: version 2 (was 3): check", "rollback by an operator after round 0: version 1 (was 2)"], history);

        Assert.Equal(1, await Cli.Commands.ModelCommand.PromoteAsync(_http, "task-a", 9, null, TextWriter.Null, CancellationToken.None));
        Assert.Equal(1, await Cli.Commands.ModelCommand.RollbackAsync(_http, "task-zz", null, null, TextWriter.Null, CancellationToken.None));
    }

    [Theory]
    [InlineData(2, "model", "list", "--registry", "not a url", "--task", "t")]
    [InlineData(2, "model", "list", "--api", "http://127.0.0.1:9", "--task", "bad id")]
    [InlineData(2, "model", "list", "--registry", "http://127.0.0.1:9", "--task", "bad id")]
    [InlineData(1, "model", "list", "--registry", "http://127.0.0.1:9", "--task", "t")] // nothing listens on port 9 (discard)
    [InlineData(2, "model", "promote", "--api", "http://127.0.0.1:9", "--task", "t")] // --version is required
    [InlineData(2, "model", "promote", "--api", "http://127.0.0.1:9", "--task", "t", "--version", "x")]
    [InlineData(2, "model", "rollback", "--api", "not a url", "--task", "t")]
    [InlineData(2, "model", "download", "--api", "http://127.0.0.1:9", "--task", "t")] // --out is required
    [InlineData(1, "model", "rollback", "--api", "http://127.0.0.1:9", "--task", "t", "--to", "2")]
    [InlineData(1, "model", "promote", "--task", "t", "--version", "1", "--api", "http://127.0.0.1:9")]
    public async Task Fl_model_refuses_bad_options_and_names_an_unreachable_registry(int expected, params string[] args) =>
        Assert.Equal(expected, await Cli.CliRunner.RunAsync(Cli.CliRoot.Create(), args));
}
