using FlMicroservices.Infrastructure.Security;
using System.Net.Http.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.PrivacyAccounting;
using FlMicroservices.PrivacyAccounting.Host;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Api.Tests;

/// <summary>The privacy-accounting service's operator endpoints on its real host, in process, over its journal.</summary>
public sealed class PrivacyApiTests : IAsyncLifetime
{
    private readonly string _home = Directory.CreateTempSubdirectory("fl-privacy-api-").FullName;
    private WebApplicationFactory<HostEntry> _factory = null!;
    private HttpClient _http = null!;
    private TaskPrivacy _central = null!;

    private static readonly TaskSpec Spec = new() { ModelName = "logreg", SampleShape = [1], ClassCount = 2, Rounds = 5, Training = new TrainingConfig(1, 10, 0.1) };

    public Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<HostEntry>().WithWebHostBuilder(b => b.UseSetting("Storage:Root", _home).UseTestAuth());
        _http = _factory.CreateClient().As(OperatorRoles.Admin);
        var ledger = _factory.Services.GetRequiredService<PrivacyLedger>();
        ledger.Add("central", Spec with { Privacy = new PrivacyConfig(true, 1.1, 1.0, 8.0, 1e-5) });
        _central = ledger.Find("central")!;
        foreach (var round in new[] { 1, 2, 3 })
        {
            Assert.True(_central.Decide(round, 0.1).Allowed);
            _central.RecordCompleted(Completed("central", round, []));
        }
        ledger.Add("local", Spec with { Privacy = new PrivacyConfig(true, 1.0, 1.0, 50.0, 1e-5) { Mechanism = PrivacyMechanism.Local } });
        ledger.Find("local")!.RecordCompleted(Completed("local", 1, [new Contribution("c1", 100, 1, 0.5), new Contribution("c2", 40, 1, 0.5)]));
        ledger.Add("plain", Spec);
        return Task.CompletedTask;
    }

    private static RoundCompleted Completed(string task, int round, Contribution[] contributors) =>
        new(task, round, round, true, false, null, null, [.. contributors.Select(c => c.ClientId)], contributors, [], [], null, DateTimeOffset.UtcNow);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_central_DP_task_reports_epsilon_spent_against_its_budget_round_by_round()
    {
        var report = await _http.GetFromJsonAsync<TaskPrivacyReport>("/api/tasks/central/privacy");

        Assert.Equal(("Central", 8.0, 1e-5, 3), (report!.Mechanism, report.EpsilonBudget, report.Delta, report.Total));
        Assert.Equal(_central.EpsilonSpent, report.EpsilonSpent, 12);
        Assert.InRange(report.EpsilonSpent, 0.01, 8.0);
        Assert.Equal(8.0 - report.EpsilonSpent, report.Remaining!.Value, 12);
        Assert.Equal([1, 2, 3], report.Rounds.Select(r => r.Round));
        Assert.All(report.Rounds, r => Assert.Equal(0.1, r.SampleRate));
        Assert.True(report.Rounds[0].EpsilonAfter < report.Rounds[1].EpsilonAfter && report.Rounds[1].EpsilonAfter < report.Rounds[2].EpsilonAfter);
        Assert.Equal(report.EpsilonSpent, report.Rounds[2].EpsilonAfter, 12);
        Assert.StartsWith("RDP", report.Accountant);

        var page = await _http.GetFromJsonAsync<TaskPrivacyReport>("/api/tasks/central/privacy?offset=2&limit=5");
        Assert.Equal(3, Assert.Single(page!.Rounds).Round);
    }

    [Fact]
    public async Task A_local_DP_task_lists_each_clients_epsilon_and_a_task_without_DP_spends_none()
    {
        var clients = await _http.GetFromJsonAsync<ClientPrivacyPage>("/api/tasks/local/privacy/clients");
        Assert.Equal(["c1", "c2"], clients!.Items.Select(c => c.ClientId));
        // c2 has fewer examples, so each of its steps samples a larger share of its data: it spends more.
        Assert.True(clients.Items[1].EpsilonSpent > clients.Items[0].EpsilonSpent && clients.Items[0].EpsilonSpent > 0);
        Assert.Equal(50.0 - clients.Items[1].EpsilonSpent, clients.Items[1].Remaining, 12);
        var local = await _http.GetFromJsonAsync<TaskPrivacyReport>("/api/tasks/local/privacy");
        Assert.Equal(clients.Items[1].EpsilonSpent, local!.EpsilonSpent, 12); // the task's ε is its largest client's
        Assert.Equal(2, local.Rounds[0].ClientsCharged);

        var plain = await _http.GetFromJsonAsync<TaskPrivacyReport>("/api/tasks/plain/privacy");
        Assert.Equal(("None", 0.0, false), (plain!.Mechanism, plain.EpsilonSpent, plain.Enabled));
        Assert.Null(plain.Remaining);
    }

    [Theory]
    [InlineData("/api/tasks/nope/privacy", 404, "taskId")]
    [InlineData("/api/tasks/bad%20id/privacy", 400, "taskId")]
    [InlineData("/api/tasks/central/privacy?limit=0", 400, "limit")]
    [InlineData("/api/tasks/central/privacy/clients", 409, "taskId")]
    [InlineData("/api/tasks/plain/privacy/clients", 409, "taskId")]
    [InlineData("/api/tasks/nope/privacy/clients", 404, "taskId")]
    [InlineData("/api/tasks/local/privacy/clients?offset=-3", 400, "offset")]
    public async Task Bad_input_is_a_problem_document_that_names_the_field(string url, int status, string field)
    {
        using var response = await _http.GetAsync(url);
        await ProblemAssert.IsProblemAsync(response, status, field);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_both_endpoints()
    {
        var paths = (await ProblemAssert.OpenApiPathsAsync(_http)).Where(p => p.StartsWith("/api/", StringComparison.Ordinal));
        Assert.Equal(["/api/tasks/{taskId}/privacy", "/api/tasks/{taskId}/privacy/clients"], paths.Order());
        Assert.Contains("\"withDefaultFonts\":false", await _http.GetStringAsync("/scalar/"));
    }
}
