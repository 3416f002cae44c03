using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Security;
using Xunit.Abstractions;

namespace FlMicroservices.Distributed.Tests;

/// <summary>
/// The operator API as deployed: six service processes, three node processes and the gateway process; tasks created over
/// HTTP, paused, resumed and cancelled with the `fl task` verbs through the gateway, their rounds and the clients read back.
/// </summary>
public sealed class OperatorApiDeployedTests(ITestOutputHelper output)
{
    private const int ClientsPerNode = 2;
    private const int Clients = 3 * ClientsPerNode;
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task A_task_created_paused_resumed_and_another_cancelled_through_the_gateway_run_as_the_api_says()
    {
        await using var deployment = await Deployment.StartAsync();
        await using var observer = await Observer.StartAsync(deployment.RabbitMqUrl);
        var port = Deployment.FreePort();
        var dll = Path.Combine(RepositoryPaths.Root, "services", "Gateway", "FlMicroservices.Gateway.Host", "bin", RepositoryPaths.Configuration, "net10.0",
            "FlMicroservices.Gateway.Host.dll");
        await using var gateway = new ServiceProcess("Gateway", dll, [], new Dictionary<string, string>
        {
            ["Gateway__RegistryUrl"] = $"http://127.0.0.1:{deployment.Services["Registry"].HttpPort}",
            ["Gateway__SelectorUrl"] = $"http://127.0.0.1:{deployment.Services["Selector"].HttpPort}",
            ["Gateway__ModelRegistryUrl"] = $"http://127.0.0.1:{deployment.Services["ModelRegistry"].HttpPort}",
            ["Gateway__RewardUrl"] = $"http://127.0.0.1:{deployment.Services["Reward"].HttpPort}",
            ["Gateway__PrivacyAccountingUrl"] = $"http://127.0.0.1:{deployment.Services["PrivacyAccounting"].HttpPort}",
            ["Storage__Root"] = deployment.Root, // the development issuer's key the services use, and the gateway's audit log
        }, deployment.LogDirectory, port);
        gateway.Start();
        var url = $"http://127.0.0.1:{port}";
        using var api = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        await gateway.WaitReadyAsync(api, TimeSpan.FromSeconds(120));
        // Tokens from the key the services made under the deployment's data root, as `fl token` would mint them.
        var key = DevelopmentIssuer.LoadOrCreateKey(Path.Combine(deployment.Root, DevelopmentIssuer.DefaultKeyFile));
        using (var anonymous = await api.GetAsync("/api/clients")) Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DevelopmentIssuer.Mint(key, "deployed-test", OperatorRoles.Admin, TimeSpan.FromMinutes(30)));
        _fl = new Dictionary<string, string>(deployment.SharedSettings)
            { ["FL_TOKEN"] = DevelopmentIssuer.Mint(key, "dana", OperatorRoles.DataScientist, TimeSpan.FromMinutes(30)) };
        deployment.StartNodes([0, 0, 0], ClientsPerNode);
        await PollAsync(async () => (await api.GetFromJsonAsync<JsonElement>("/api/clients?healthy=true")).GetProperty("total").GetInt32() == Clients,
            deployment, "all clients healthy in GET /api/clients", 120);

        // Created over HTTP, paused once the selector has it: the next round is held until resume.
        var taskId = $"api-{Guid.NewGuid():N}"[..20];
        using (var created = await api.PostAsync("/api/tasks", Body(taskId, Spec(rounds: 3))))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await PollAsync(async () => (await api.GetAsync($"/api/tasks/{taskId}")).IsSuccessStatusCode, deployment, "the selector to know the task", 60);
        var paused = await FlAsync(deployment, "task", "pause", "--api", url, "--task", taskId);
        Assert.True(paused.ExitCode == 0, paused.Output);
        Assert.Contains($"task      {taskId}: Paused", paused.Output);
        var held = 0;
        await PollAsync(async () => (held = HeldRound(await api.GetFromJsonAsync<JsonElement>($"/api/tasks/{taskId}"))) > 0, deployment, "a round held by the pause", 120);
        Assert.DoesNotContain(observer.Of<RoundStarted>(), r => r.TaskId == taskId && r.Round >= held);
        var status = await FlAsync(deployment, "task", "status", "--api", url, "--task", taskId);
        Assert.True(status.ExitCode == 0, status.Output);
        Assert.Contains($"round {held} held by the pause", status.Output);

        var resumed = await FlAsync(deployment, "task", "resume", "--api", url, "--task", taskId);
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        await WaitOrFailAsync(observer, deployment, o => o.Of<TaskCompleted>().Any(t => t.TaskId == taskId), "the task's TaskCompleted", 240);
        var completed = observer.Of<TaskCompleted>().Single(t => t.TaskId == taskId);
        Assert.Equal(("all rounds completed", true, 3), (completed.Reason, completed.Succeeded, completed.RoundsCompleted));
        await PollAsync(async () => (await api.GetFromJsonAsync<JsonElement>($"/api/tasks/{taskId}")).GetProperty("task").GetProperty("state").GetString() == "Completed",
            deployment, "the task Completed in the API", 60);
        var rounds = (await api.GetFromJsonAsync<JsonElement>($"/api/tasks/{taskId}/rounds")).GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal([1, 2, 3], rounds.Select(r => r.GetProperty("round").GetInt32()));
        Assert.All(rounds, r => Assert.True(r.GetProperty("succeeded").GetBoolean()));
        Assert.All(rounds, r => Assert.Equal(Clients, r.GetProperty("participants").GetArrayLength()));
        Assert.All(rounds, r => Assert.Equal(Clients, r.GetProperty("contributors").GetArrayLength()));
        var list = await FlAsync(deployment, "task", "list", "--api", url, "--state", "Completed");
        Assert.True(list.ExitCode == 0, list.Output);
        Assert.Matches($@"{taskId}\s+Completed\s+3/3\s+0\s+3\s", list.Output);

        // Its rewards and privacy account through the same gateway, then a rollback by hand and a download of the version now current.
        await PollAsync(async () => (await api.GetFromJsonAsync<JsonElement>($"/api/tasks/{taskId}/rewards")).GetProperty("total").GetInt32() == 3,
            deployment, "three paid rounds in GET /api/tasks/{id}/rewards", 60);
        var rewards = await FlAsync(deployment, "rewards", "--api", url, "--task", taskId);
        Assert.True(rewards.ExitCode == 0, rewards.Output);
        Assert.Contains($"{Clients} clients; 300.0000 tokens in task {taskId}", rewards.Output); // 100 tokens per round, 3 rounds
        var privacy = await api.GetFromJsonAsync<JsonElement>($"/api/tasks/{taskId}/privacy");
        Assert.Equal([1, 2, 3], privacy.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("round").GetInt32()));
        var rollback = await FlAsync(deployment, "model", "rollback", "--api", url, "--task", taskId, "--to", "0", "--reason", "deployed test");
        Assert.True(rollback.ExitCode == 0, rollback.Output);
        Assert.Matches($@"task {taskId}: version 0 is current \(was \d+\)", rollback.Output);
        var folder = Path.Combine(deployment.LogDirectory, "download");
        var download = await FlAsync(deployment, "model", "download", "--api", url, "--task", taskId, "--out", folder);
        Assert.True(download.ExitCode == 0, download.Output);
        Assert.Contains($"wrote version 0 of {taskId}", download.Output);
        Assert.True(File.Exists(Path.Combine(folder, "weights.bin")));

        // A second task, cancelled by the operator: TaskCompleted says so, and a second cancel is refused.
        var cancelledId = $"api-{Guid.NewGuid():N}"[..20];
        using (var created = await api.PostAsync("/api/tasks", Body(cancelledId, Spec(rounds: 50))))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await PollAsync(async () => (await api.GetAsync($"/api/tasks/{cancelledId}")).IsSuccessStatusCode, deployment, "the selector to know the second task", 60);
        var cancel = await FlAsync(deployment, "task", "cancel", "--api", url, "--task", cancelledId);
        Assert.True(cancel.ExitCode == 0, cancel.Output);
        Assert.Contains($"task      {cancelledId}: Cancelled (cancelled by operator)", cancel.Output);
        await WaitOrFailAsync(observer, deployment, o => o.Of<TaskCompleted>().Any(t => t.TaskId == cancelledId), "the second task's TaskCompleted", 60);
        var cancelled = observer.Of<TaskCompleted>().Single(t => t.TaskId == cancelledId);
        Assert.Equal(("cancelled by operator", false), (cancelled.Reason, cancelled.Succeeded));
        var again = await FlAsync(deployment, "task", "cancel", "--api", url, "--task", cancelledId);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("409", again.Output);

        // An auditor may not operate (403 from the selector, through the gateway), but reads the audit log of what the others did.
        var auditor = DevelopmentIssuer.Mint(key, "audrey", OperatorRoles.Auditor, TimeSpan.FromMinutes(30));
        var forbidden = await FlAsync(deployment, "task", "pause", "--api", url, "--task", cancelledId, "--token", auditor);
        Assert.Equal(1, forbidden.ExitCode);
        Assert.Contains("403 caller 'audrey' (role auditor) may not call POST", forbidden.Output);
        var audit = await FlAsync(deployment, "audit", "log", "--api", url, "--token", auditor, "--task", taskId);
        Assert.True(audit.ExitCode == 0, audit.Output);
        foreach (var action in new[] { "/api/tasks/{taskId}/pause", "/api/tasks/{taskId}/resume", "/api/tasks/{taskId}/models/rollback" })
            Assert.Matches($@"dana\s+data-scientist\s+POST {Regex.Escape(action)}\s+task={taskId}\s+200 done", audit.Output);
        Assert.Matches($@"deployed-test\s+admin\s+POST /api/tasks\s+-\s+201 done", (await FlAsync(deployment, "audit", "log", "--api", url, "--token", auditor, "--caller", "deployed-test")).Output);
        output.WriteLine($"held round {held}; {status.Output}{list.Output}{rewards.Output}{rollback.Output}{cancel.Output}{forbidden.Output}{audit.Output}");
    }

    private static int HeldRound(JsonElement detail) =>
        detail.GetProperty("task").GetProperty("heldRound") is { ValueKind: JsonValueKind.Number } held ? held.GetInt32() : 0;

    private static StringContent Body(string taskId, TaskSpec spec) =>
        new(JsonSerializer.Serialize(new { taskId, spec }, Web), Encoding.UTF8, "application/json");

    private Dictionary<string, string> _fl = [];

    // `fl` as a data scientist (FL_TOKEN), unless the arguments name another --token.
    private Task<FlProcess.Result> FlAsync(Deployment deployment, params string[] arguments) =>
        FlProcess.FlAsync(arguments, _fl.Count > 0 ? _fl : deployment.SharedSettings, TimeSpan.FromMinutes(2));

    private static TaskSpec Spec(int rounds) => DistributedRoundTests.Spec(rounds);

    // Asks until the condition holds or the deadline passes (a slow machine only takes longer); fails with the services' logs.
    private async Task PollAsync(Func<Task<bool>> condition, Deployment deployment, string what, int seconds)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition()) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(500);
        }
        output.WriteLine(deployment.Logs());
        Assert.Fail($"Waited {seconds} s for {what}. Logs in {deployment.LogDirectory}");
    }

    private async Task WaitOrFailAsync(Observer observer, Deployment deployment, Func<Observer, bool> condition, string what, int seconds)
    {
        if (await observer.WaitAsync(condition, TimeSpan.FromSeconds(seconds), () => deployment.Services.Values.Any(p => p.HasExited))) return;
        output.WriteLine(deployment.Logs());
        Assert.Fail($"Waited {seconds} s for {what}. Logs in {deployment.LogDirectory}");
    }
}
