using FlMicroservices.Infrastructure.Security;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Selector;
using FlMicroservices.Selector.Host;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Api.Tests;

/// <summary>The selector's task endpoints on its real host, in process, over its SQLite state: tasks, rounds, cancel, pause, resume; and `fl task`.</summary>
public sealed class SelectorApiTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    // Tomorrow: the seeded round's deadline and task-new's start watchdog lie ahead, so the selector's watchdogs leave them alone.
    private static readonly DateTimeOffset At = new(DateTime.UtcNow.Date.AddDays(1), TimeSpan.Zero);
    private readonly string _home = Directory.CreateTempSubdirectory("fl-selector-api-").FullName;
    private WebApplicationFactory<HostEntry> _factory = null!;
    private HttpClient _http = null!;

    private static readonly string Day = At.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly TaskSpec Spec = RegistryApiTests.Spec with { RoundTimeout = TimeSpan.FromMinutes(10) };

    private WebApplicationFactory<HostEntry> Start() =>
        new WebApplicationFactory<HostEntry>().WithWebHostBuilder(b => b.UseSetting("Storage:Root", _home).UseTestAuth());

    public async Task InitializeAsync()
    {
        _factory = Start();
        _http = _factory.CreateClient().As(OperatorRoles.Admin);
        // task-r: round 1 done (accuracy 0.8, c3 rejected), round 2 under way; task-done: ended; task-new: waits for its initial model.
        var schedule = _factory.Services.GetRequiredService<TaskSchedule>();
        await schedule.AddAsync("task-r", Spec, At, CancellationToken.None);
        await schedule.AddAsync("task-done", Spec with { Rounds = 1 }, At.AddMinutes(1), CancellationToken.None);
        await schedule.AddAsync("task-new", Spec, At.AddMinutes(2), CancellationToken.None);
        var running = schedule.Find("task-r")!;
        Assert.True(running.TryClaimRound(1));
        running.RecordStarted(Started("task-r", 1, 0), At);
        running.RecordCompleted(new RoundCompleted("task-r", 1, 1, true, false, 0.8, 0.4, ["c1", "c2", "c3"],
            [new Contribution("c1", 100, 1.5, 0.3), new Contribution("c2", 100, 1.2, 0.35)], [new RejectedUpdate("c3", "update norm 40 is above the bound 10")], [],
            null, At.AddMinutes(1), Evaluated: true, BestModelVersion: 1, BestAccuracy: 0.8));
        Assert.True(running.TryClaimRound(2));
        running.RecordStarted(Started("task-r", 2, 1), At.AddMinutes(2));
        await running.SaveAsync(CancellationToken.None);
        var done = schedule.Find("task-done")!;
        Assert.True(done.TryComplete(new TaskCompleted("task-done", 1, 1, 0.7, "all rounds completed", At.AddMinutes(5))));
        await done.SaveAsync(CancellationToken.None);
    }

    private static RoundStarted Started(string task, int round, int version) =>
        new(task, round, version, ["c1", "c2", "c3"], At.AddMinutes(round * 10), Spec.Training, Spec.Privacy, Spec.SliceElements, Spec.ModelName, Spec.Strategy,
            [], Spec.Quorum, Spec.Seed);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("", 3, "task-r,task-done,task-new")]
    [InlineData("?state=running", 1, "task-r")]
    [InlineData("?state=Completed", 1, "task-done")]
    [InlineData("?state=Created", 1, "task-new")]
    [InlineData("?state=Paused", 0, "")]
    [InlineData("?offset=1&limit=1", 3, "task-done")]
    public async Task Tasks_are_listed_with_their_state_filtered_and_paged(string query, int total, string ids)
    {
        using var page = JsonDocument.Parse(await _http.GetStringAsync("/api/tasks" + query));

        Assert.Equal(total, page.RootElement.GetProperty("total").GetInt32());
        Assert.Equal(ids, string.Join(',', page.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("taskId").GetString())));
    }

    [Fact]
    public async Task A_task_shows_its_state_progress_model_and_spec()
    {
        var detail = await _http.GetFromJsonAsync<TaskDetail>("/api/tasks/task-r");

        var task = detail!.Task;
        Assert.Equal(("Running", 2, 1, 0, 3), (task.State, task.LastStartedRound, task.RoundsEnded, task.FailedRounds, task.Rounds));
        Assert.Equal((1, 0.8, 1), (task.ModelVersion!.Value, task.Accuracy!.Value, task.BestModelVersion!.Value));
        Assert.Equal("logreg", detail.Spec.ModelName);
        var done = await _http.GetFromJsonAsync<TaskDetail>("/api/tasks/task-done");
        Assert.Equal(("Completed", "all rounds completed"), (done!.Task.State, done.Task.EndReason));
    }

    [Fact]
    public async Task Rounds_carry_times_metrics_participants_contributors_and_rejections()
    {
        using var page = JsonDocument.Parse(await _http.GetStringAsync("/api/tasks/task-r/rounds"));
        Assert.Equal(2, page.RootElement.GetProperty("total").GetInt32());
        var round1 = await _http.GetFromJsonAsync<RoundRecord>("/api/tasks/task-r/rounds/1");

        Assert.Equal((true, 1, 0.8, 0.4), (round1!.Succeeded!.Value, round1.ResultVersion!.Value, round1.Accuracy!.Value, round1.Loss!.Value));
        Assert.Equal((At, At.AddMinutes(10), At.AddMinutes(1)), (round1.StartedAt!.Value, round1.Deadline!.Value, round1.CompletedAt!.Value));
        Assert.Equal(["c1", "c2", "c3"], round1.Participants!);
        Assert.Equal(["c1", "c2"], round1.Contributors!.Select(c => c.ClientId));
        Assert.Equal("update norm 40 is above the bound 10", Assert.Single(round1.Rejected!).Reason);

        var second = await _http.GetFromJsonAsync<JsonElement>("/api/tasks/task-r/rounds?offset=1&limit=1");
        var round2 = Assert.Single(second.GetProperty("items").EnumerateArray());
        Assert.Equal(2, round2.GetProperty("round").GetInt32());
        Assert.Equal(JsonValueKind.Null, round2.GetProperty("succeeded").ValueKind); // under way
    }

    [Theory]
    [InlineData("/api/tasks?limit=0", 400, "limit")]
    [InlineData("/api/tasks?offset=-3", 400, "offset")]
    [InlineData("/api/tasks?state=sleeping", 400, "state")]
    [InlineData("/api/tasks/bad%20id", 400, "taskId")]
    [InlineData("/api/tasks/task-zz", 404, "taskId")]
    [InlineData("/api/tasks/task-zz/rounds", 404, "taskId")]
    [InlineData("/api/tasks/task-r/rounds?limit=501", 400, "limit")]
    [InlineData("/api/tasks/task-r/rounds/7", 404, "round")]
    [InlineData("/api/tasks/task-r/rounds/0", 400, "round")]
    public async Task Bad_input_is_a_problem_document_that_names_the_field(string url, int status, string field)
    {
        using var response = await _http.GetAsync(url);
        await ProblemAssert.IsProblemAsync(response, status, field);
    }

    [Theory]
    [InlineData("/api/tasks/task-zz/cancel", 404)]
    [InlineData("/api/tasks/task-done/cancel", 409)]
    [InlineData("/api/tasks/task-done/pause", 409)]
    [InlineData("/api/tasks/task-done/resume", 409)]
    [InlineData("/api/tasks/bad%20id/pause", 400)]
    public async Task Operating_an_unknown_or_ended_task_is_a_problem(string url, int status)
    {
        using var response = await _http.PostAsync(url, null);
        await ProblemAssert.IsProblemAsync(response, status, "taskId");
    }

    [Fact]
    public async Task Cancel_ends_the_task_with_TaskCompleted_cancelled_by_operator()
    {
        var completed = new TaskCompletionSource<TaskCompleted>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = _factory.Services.GetRequiredService<IBus>().ConnectReceiveEndpoint("api-test-task-completed", e => e.Handler<TaskCompleted>(c =>
        {
            if (c.Message.TaskId == "task-r") completed.TrySetResult(c.Message);
            return Task.CompletedTask;
        }));
        await handle.Ready.WaitAsync(Wait);

        using var response = await _http.PostAsync("/api/tasks/task-r/cancel", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Cancelled", (await response.Content.ReadFromJsonAsync<TaskSummary>())!.State);
        var message = await completed.Task.WaitAsync(Wait);
        Assert.Equal(("cancelled by operator", false, 1, 1), (message.Reason, message.Succeeded, message.RoundsCompleted, message.FinalModelVersion));
        using var again = await _http.PostAsync("/api/tasks/task-r/cancel", null);
        await ProblemAssert.IsProblemAsync(again, 409, "taskId");
    }

    [Fact]
    public async Task A_pause_survives_a_restart_of_the_selector_and_resume_lifts_it()
    {
        using (var paused = await _http.PostAsync("/api/tasks/task-r/pause", null))
            Assert.Equal("Paused", (await paused.Content.ReadFromJsonAsync<TaskSummary>())!.State);
        _http.Dispose();
        await _factory.DisposeAsync();

        _factory = Start(); // the same state folder: a restarted selector
        _http = _factory.CreateClient().As(OperatorRoles.Admin);
        Assert.Equal("Paused", (await _http.GetFromJsonAsync<TaskDetail>("/api/tasks/task-r"))!.Task.State);
        using var page = JsonDocument.Parse(await _http.GetStringAsync("/api/tasks/task-r/rounds"));
        Assert.Equal(2, page.RootElement.GetProperty("total").GetInt32()); // the rounds' history was stored too

        using var resumed = await _http.PostAsync("/api/tasks/task-r/resume", null);
        Assert.Equal("Running", (await resumed.Content.ReadFromJsonAsync<TaskSummary>())!.State);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_every_task_endpoint()
    {
        var paths = await ProblemAssert.OpenApiPathsAsync(_http);
        foreach (var path in new[] { "/api/tasks", "/api/tasks/{taskId}", "/api/tasks/{taskId}/rounds", "/api/tasks/{taskId}/rounds/{round}",
                     "/api/tasks/{taskId}/cancel", "/api/tasks/{taskId}/pause", "/api/tasks/{taskId}/resume" })
            Assert.Contains(path, paths);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/scalar/")).StatusCode);
    }

    [Fact]
    public async Task Fl_task_list_and_status_print_the_tasks_and_rounds()
    {
        using var list = new StringWriter();
        Assert.Equal(0, await Cli.Commands.TaskApiCommands.ListAsync(_http, null, 100, list, CancellationToken.None));
        var lines = list.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToArray();
        Assert.Equal(5, lines.Length); // header, three tasks, total
        Assert.Matches(@"^task-r\s+Running\s+1/3\s+0\s+1\s+80\.00 %\s+1\s+logreg / fedavg$", lines[1]);
        Assert.Matches(@"^task-done\s+Completed\s+0/1\s+0\s+-\s+-\s+-\s+logreg / fedavg$", lines[2]);
        Assert.Equal("3 tasks", lines[4]);

        using var status = new StringWriter();
        Assert.Equal(0, await Cli.Commands.TaskApiCommands.StatusAsync(_http, "task-r", 100, status, CancellationToken.None));
        var text = status.ToString();
        Assert.Contains("task      task-r: Running", text);
        Assert.Contains("rounds    1 of 3 ended, 0 failed, last started 2", text);
        Assert.Matches(@"\n\s+1\s+" + Day + @" 00:00:00 ok\s+1\s+80\.00 %\s+0\.4000\s+3\s+2\s+1\s*\n", text);
        Assert.Contains("      rejected c3: update norm 40 is above the bound 10", text);
        Assert.Matches(@"\n\s+2\s+" + Day + @" 00:02:00 running\s+-\s+-\s+-\s+3\s+0\s+0\s*\n", text);

        Assert.Equal(1, await Cli.Commands.TaskApiCommands.StatusAsync(_http, "task-zz", 100, TextWriter.Null, CancellationToken.None));
    }

    [Fact]
    public async Task Fl_task_pause_resume_and_cancel_change_the_state()
    {
        using var output = new StringWriter();
        Assert.Equal(0, await Cli.Commands.TaskApiCommands.ControlAsync(_http, "pause", "task-r", output, CancellationToken.None));
        Assert.Contains("task      task-r: Paused", output.ToString());
        Assert.Equal(0, await Cli.Commands.TaskApiCommands.ControlAsync(_http, "resume", "task-r", output, CancellationToken.None));
        Assert.Contains("task      task-r: Running", output.ToString());
        Assert.Equal(0, await Cli.Commands.TaskApiCommands.ControlAsync(_http, "cancel", "task-r", output, CancellationToken.None));
        Assert.Contains("task      task-r: Cancelled (cancelled by operator)", output.ToString());
        Assert.Equal(1, await Cli.Commands.TaskApiCommands.ControlAsync(_http, "cancel", "task-r", TextWriter.Null, CancellationToken.None)); // 409: ended
    }

    [Theory]
    [InlineData(2, "task", "list", "--api", "not a url")]
    [InlineData(2, "task", "list", "--state", "sleeping")]
    [InlineData(2, "task", "list", "--limit", "0")]
    [InlineData(2, "task", "status", "--task", "bad id")]
    [InlineData(2, "task", "status")] // --task is required
    [InlineData(2, "task", "cancel", "--task", "bad id")]
    [InlineData(2, "task", "pause", "--api", "ftp://host", "--task", "t")]
    [InlineData(1, "task", "list", "--api", "http://127.0.0.1:9")] // nothing listens on port 9 (discard)
    [InlineData(1, "task", "status", "--api", "http://127.0.0.1:9", "--task", "t")]
    [InlineData(1, "task", "cancel", "--api", "http://127.0.0.1:9", "--task", "t")]
    [InlineData(1, "task", "pause", "--api", "http://127.0.0.1:9", "--task", "t")]
    [InlineData(1, "task", "resume", "--api", "http://127.0.0.1:9", "--task", "t")]
    public async Task Fl_task_refuses_bad_options_and_names_an_unreachable_api(int expected, params string[] args) =>
        Assert.Equal(expected, await Cli.CliRunner.RunAsync(Cli.CliRoot.Create(), args));
}
