using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FlMicroservices.Distributed.Tests;
using FlMicroservices.Infrastructure.Security;
using Xunit.Abstractions;

namespace FlMicroservices.Security.Tests;

/// <summary>
/// Attacks on the operator API through the deployed gateway (docs/operator-api.md, "Authentication and roles"): calls without a
/// token, with a forged or expired one, and with a role that may not do what is asked. Each is answered 401 or 403 with a
/// problem document saying why, and the gateway's audit log records the refusal.
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class OperatorAttackTests(AttackedDeployment target, ITestOutputHelper output)
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Creating_a_task_without_a_token_is_refused_with_401_saying_a_token_is_needed_and_audited()
    {
        var attack = target.Ledger.Try("operator call without a token");
        using var api = await ApiAsync(token: null);
        var taskId = $"anon-{Guid.NewGuid():N}"[..20];
        var (status, detail) = await CreateTaskAsync(api, taskId);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("the operator API needs a bearer token", detail, StringComparison.Ordinal);
        await AssertNotCreatedAndAuditedAsync(taskId, caller: "anonymous", 401);
        attack.Blocked($"401 {detail}; gateway audit log: anonymous POST /api/tasks 401 refused");
    }

    [Fact]
    public async Task Tokens_signed_with_another_key_or_expired_are_refused_with_401_naming_the_problem()
    {
        var attack = target.Ledger.Try("operator call with a forged or an expired admin token");
        var forgedKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(DevelopmentIssuer.KeyBytes);
        var forged = DevelopmentIssuer.Mint(forgedKey, "mallory", OperatorRoles.Admin, TimeSpan.FromMinutes(30));
        var realKey = DevelopmentIssuer.LoadOrCreateKey(target.OperatorKeyFile);
        var expired = DevelopmentIssuer.Mint(realKey, "mallory", OperatorRoles.Admin, TimeSpan.FromMinutes(30), now: DateTimeOffset.UtcNow.AddHours(-2));
        var details = new List<string>();
        foreach (var (token, problem) in new[] { (forged, "signature"), (expired, "expired") })
        {
            using var api = await ApiAsync(token);
            var taskId = $"forged-{Guid.NewGuid():N}"[..20];
            var (status, detail) = await CreateTaskAsync(api, taskId);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.StartsWith("the bearer token was not accepted:", detail, StringComparison.Ordinal);
            Assert.Contains(problem, detail, StringComparison.OrdinalIgnoreCase);
            await AssertNotCreatedAndAuditedAsync(taskId, caller: "anonymous", 401);
            details.Add(detail);
        }
        output.WriteLine(string.Join("\n", details));
        attack.Blocked($"401 {string.Join(" / ", details.Select(d => d.Length > 90 ? d[..90] + "..." : d))}; audit log: 401 refused");
    }

    [Fact]
    public async Task An_auditor_creating_a_task_and_a_data_scientist_reading_the_audit_log_are_refused_with_403_naming_the_roles_needed()
    {
        var attack = target.Ledger.Try("operator call with the wrong role (fl token --role auditor / data-scientist)");
        using (var auditor = await ApiAsync(await FlTokenAsync("auditor", "mallory")))
        {
            var taskId = $"auditor-{Guid.NewGuid():N}"[..20];
            var (status, detail) = await CreateTaskAsync(auditor, taskId);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.StartsWith("caller 'mallory' (role auditor) may not call POST /api/tasks: it needs the role ", detail, StringComparison.Ordinal);
            Assert.Contains("data-scientist", detail, StringComparison.Ordinal);
            await AssertNotCreatedAndAuditedAsync(taskId, caller: "mallory", 403);
        }
        using var scientist = await ApiAsync(await FlTokenAsync("data-scientist", "dana"));
        using var audit = await scientist.GetAsync("/api/audit");
        Assert.Equal(HttpStatusCode.Forbidden, audit.StatusCode);
        var auditDetail = await DetailAsync(audit);
        Assert.StartsWith("caller 'dana' (role data-scientist) may not call GET /api/audit", auditDetail, StringComparison.Ordinal);
        Assert.Contains("it needs the role admin or auditor", auditDetail, StringComparison.Ordinal);
        attack.Blocked("403 caller 'mallory' (role auditor) may not call POST /api/tasks: it needs the role admin or data-scientist; 403 for a data scientist on GET /api/audit; audit log: 403 refused");
    }

    private async Task<HttpClient> ApiAsync(string? token)
    {
        var api = new HttpClient { BaseAddress = await target.GatewayAsync(), Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null) api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return api;
    }

    // `fl token` with the deployment's development issuer key, as an operator mints one.
    private async Task<string> FlTokenAsync(string role, string name)
    {
        var minted = await FlProcess.FlAsync(["token", "--role", role, "--name", name, "--minutes", "30", "--key-file", target.OperatorKeyFile],
            new Dictionary<string, string>(), TimeSpan.FromMinutes(2));
        Assert.True(minted.ExitCode == 0, minted.Output);
        return minted.Output.Split('\n', StringSplitOptions.TrimEntries).Single(l => l.StartsWith("eyJ", StringComparison.Ordinal));
    }

    private static async Task<(HttpStatusCode Status, string Detail)> CreateTaskAsync(HttpClient api, string taskId)
    {
        var body = JsonSerializer.Serialize(new { taskId, spec = AttackedDeployment.SecureSpec(rounds: 1) }, Web);
        using var response = await api.PostAsync("/api/tasks", new StringContent(body, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await DetailAsync(response));
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Authorization", problem.GetProperty("field").GetString());
        return problem.GetProperty("detail").GetString()!;
    }

    // The task does not exist, and the gateway's audit log holds the refused call (read back by an admin).
    private async Task AssertNotCreatedAndAuditedAsync(string taskId, string caller, int status)
    {
        using var admin = await ApiAsync(DevelopmentIssuer.Mint(DevelopmentIssuer.LoadOrCreateKey(target.OperatorKeyFile), "security-suite", OperatorRoles.Admin, TimeSpan.FromMinutes(30)));
        using (var read = await admin.GetAsync($"/api/tasks/{taskId}")) Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement[] entries;
        do
        {
            var page = await admin.GetFromJsonAsync<JsonElement>($"/api/audit?caller={caller}&limit=100");
            entries = page.GetProperty("items").EnumerateArray()
                .Where(e => e.GetProperty("path").GetString() == "/api/tasks" && e.GetProperty("status").GetInt32() == status && e.GetProperty("outcome").GetString() == "refused")
                .ToArray();
            if (entries.Length > 0) return;
            await Task.Delay(500);
        } while (DateTime.UtcNow < deadline);
        Assert.Fail($"no audit entry for {caller}'s refused POST /api/tasks ({status}):\n{target.Gateway.Tail(20)}");
    }
}
