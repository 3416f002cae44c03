using FlMicroservices.Infrastructure.Security;
using System.Net;
using System.Net.Http.Json;
using FlMicroservices.Reward;
using FlMicroservices.Reward.Host;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Api.Tests;

/// <summary>The reward service's operator endpoints and `fl rewards` on its real host, in process, over its embedded state store.</summary>
public sealed class RewardsApiTests : IAsyncLifetime
{
    private readonly string _home = Directory.CreateTempSubdirectory("fl-rewards-api-").FullName;
    private WebApplicationFactory<HostEntry> _factory = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<HostEntry>().WithWebHostBuilder(b => b.UseSetting("Storage:Root", _home).UseTestAuth());
        _http = _factory.CreateClient().As(OperatorRoles.Admin);
        // task-a pays c1 and c2 in rounds 1 and 2, task-b pays c1 in round 1: c1 = 30 + 20 + 100, c2 = 70 + 80.
        var ledger = _factory.Services.GetRequiredService<TokenLedger>();
        await ledger.PayOnceAsync("task-a", 1, [("c1", 0.3, 30m), ("c2", 0.7, 70m)], CancellationToken.None);
        await ledger.PayOnceAsync("task-a", 2, [("c1", 0.2, 20m), ("c2", 0.8, 80m)], CancellationToken.None);
        await ledger.MarkAnnouncedAsync("task-a", 1, CancellationToken.None);
        await ledger.PayOnceAsync("task-b", 1, [("c1", 1.0, 100m)], CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Balances_are_summed_per_client_over_all_tasks_or_one_one_page_at_a_time()
    {
        var all = await _http.GetFromJsonAsync<RewardBalancePage>("/api/rewards/balances");
        Assert.Equal([("c1", 150m, 3), ("c2", 150m, 2)], all!.Items.Select(b => (b.ClientId, b.Balance, b.Rounds)));
        Assert.Equal(300m, all.TotalTokens);

        var taskA = await _http.GetFromJsonAsync<RewardBalancePage>("/api/rewards/balances?task=task-a&offset=1&limit=1");
        Assert.Equal((2, 200m), (taskA!.Total, taskA.TotalTokens));
        Assert.Equal(("c2", 150m), (Assert.Single(taskA.Items).ClientId, taskA.Items[0].Balance));
    }

    [Fact]
    public async Task A_clients_ledger_lists_each_credit_with_the_balance_it_left()
    {
        var ledger = await _http.GetFromJsonAsync<ClientLedger>("/api/rewards/clients/c1");
        Assert.Equal(150m, ledger!.Balance);
        Assert.Equal([("task-a", 1, 30m, 30m), ("task-a", 2, 20m, 50m), ("task-b", 1, 100m, 150m)],
            ledger.Entries.Select(e => (e.TaskId, e.Round, e.Amount, e.BalanceAfter)));
        Assert.Contains("round 2", ledger.Entries[1].Reason);

        var inB = await _http.GetFromJsonAsync<ClientLedger>("/api/rewards/clients/c1?task=task-b");
        Assert.Equal((150m, 100m, 1), (inB!.Balance, inB.Earned, inB.Entries.Length));
    }

    [Fact]
    public async Task A_tasks_payouts_are_listed_per_round()
    {
        var page = await _http.GetFromJsonAsync<TaskRewardPage>("/api/tasks/task-a/rewards");
        Assert.Equal((2, 200m), (page!.Total, page.TotalTokens));
        Assert.Equal([(1, 100m, true), (2, 100m, false)], page.Items.Select(r => (r.Round, r.Total, r.Announced)));
        Assert.Equal([("c1", 20m), ("c2", 80m)], page.Items[1].Payouts.Select(p => (p.ClientId, p.Tokens)));
    }

    [Theory]
    [InlineData("/api/rewards/balances?limit=501", 400, "limit")]
    [InlineData("/api/rewards/balances?offset=-1", 400, "offset")]
    [InlineData("/api/rewards/balances?task=bad%20id", 400, "task")]
    [InlineData("/api/rewards/balances?task=task-zz", 404, "task")]
    [InlineData("/api/rewards/clients/c9", 404, "clientId")]
    [InlineData("/api/rewards/clients/bad%20id", 400, "clientId")]
    [InlineData("/api/rewards/clients/c2?task=task-b", 404, "task")]
    [InlineData("/api/tasks/task-zz/rewards", 404, "taskId")]
    [InlineData("/api/tasks/task-a/rewards?limit=0", 400, "limit")]
    public async Task Bad_input_is_a_problem_document_that_names_the_field(string url, int status, string field)
    {
        using var response = await _http.GetAsync(url);
        await ProblemAssert.IsProblemAsync(response, status, field);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_every_endpoint_and_the_API_page_is_served()
    {
        var paths = (await ProblemAssert.OpenApiPathsAsync(_http)).Where(p => p.StartsWith("/api/", StringComparison.Ordinal));
        Assert.Equal(["/api/rewards/balances", "/api/rewards/clients/{clientId}", "/api/tasks/{taskId}/rewards"], paths.Order());
        var page = await _http.GetStringAsync("/scalar/");
        Assert.Contains("\"telemetry\":false", page);
        Assert.DoesNotContain("https://", page);
    }

    [Fact]
    public async Task Fl_rewards_prints_the_balances_and_a_clients_ledger()
    {
        using var output = new StringWriter();
        Assert.Equal(0, await Cli.Commands.RewardsCommand.BalancesAsync(_http, null, 100, output, CancellationToken.None));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToArray();
        Assert.Equal(4, lines.Length); // header, two clients, totals
        Assert.Matches(@"^c1\s+150\.0000\s+3$", lines[1]);
        Assert.Equal("2 clients; 300.0000 tokens", lines[3]);

        using var ledger = new StringWriter();
        Assert.Equal(0, await Cli.Commands.RewardsCommand.ClientAsync(_http, "c2", "task-a", ledger, CancellationToken.None));
        lines = ledger.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToArray();
        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^task-a\s+2\s+80\.0000\s+150\.0000\s+share 0\.8 of round 2", lines[2]);
        Assert.Equal("client c2: balance 150.0000 tokens; 150.0000 earned in task task-a", lines[3]);

        Assert.Equal(1, await Cli.Commands.RewardsCommand.ClientAsync(_http, "c9", null, TextWriter.Null, CancellationToken.None));
        Assert.Equal(1, await Cli.Commands.RewardsCommand.BalancesAsync(_http, "task-zz", 100, TextWriter.Null, CancellationToken.None));
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/api/rewards/balances")).StatusCode);
    }

    [Theory]
    [InlineData(2, "rewards", "--api", "not a url")]
    [InlineData(2, "rewards", "--api", "http://127.0.0.1:9", "--client", "bad id")]
    [InlineData(2, "rewards", "--api", "http://127.0.0.1:9", "--task", "bad/id")]
    [InlineData(2, "rewards", "--limit", "x")]
    [InlineData(1, "rewards", "--api", "http://127.0.0.1:9")] // nothing listens on port 9 (discard)
    public async Task Fl_rewards_refuses_bad_options_and_names_an_unreachable_API(int expected, params string[] args) =>
        Assert.Equal(expected, await Cli.CliRunner.RunAsync(Cli.CliRoot.Create(), args));
}
