using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Selector;
using FlMicroservices.ServiceDefaults.Api;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlMicroservices.Selector.Host;

/// <summary>
/// The selector's task API (docs/operator-api.md): tasks with their state and rounds (the "read" group), and cancel, pause,
/// resume (the "operate" group); each group can take its own authorization policy.
/// </summary>
public static class TaskEndpoints
{
    public const string Prefix = "/api/tasks";

    public static (RouteGroupBuilder Read, RouteGroupBuilder Operate) MapTasks(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup(Prefix).WithTags("Tasks");
        read.MapGet("/", List).WithName("ListTasks").WithSummary("Tasks the selector schedules, with state and progress; filter by state (Created, Running, Paused, Completed, Failed, Cancelled).");
        read.MapGet("/{taskId}", Get).WithName("GetTask").WithSummary("One task's state, progress, model and spec.");
        read.MapGet("/{taskId}/rounds", ListRounds).WithName("ListRounds").WithSummary("The task's rounds: times, outcome, metrics, participants, contributors, rejections with reasons.");
        read.MapGet("/{taskId}/rounds/{round:int}", GetRound).WithName("GetRound").WithSummary("One round of the task.");

        var operate = app.MapGroup(Prefix).WithTags("Task control");
        operate.MapPost("/{taskId}/cancel", CancelAsync).WithName("CancelTask").WithSummary("Ends the task now: TaskCompleted with reason \"cancelled by operator\".");
        operate.MapPost("/{taskId}/pause", PauseAsync).WithName("PauseTask").WithSummary("No new round starts after the current one, until resume (kept across restarts).");
        operate.MapPost("/{taskId}/resume", ResumeAsync).WithName("ResumeTask").WithSummary("Lifts a pause: the round it held back starts.");
        return (read, operate);
    }

    private static Results<Ok<Page<TaskSummary>>, ProblemHttpResult> List(TaskSchedule schedule, string? state = null, int offset = 0, int limit = 100)
    {
        if (ApiProblems.BadPage(offset, limit) is { } bad) return bad;
        var wanted = state is null ? null : TaskStates.All.FirstOrDefault(s => s.Equals(state, StringComparison.OrdinalIgnoreCase));
        if (state is not null && wanted is null)
            return ApiProblems.Problem(400, "state", $"state '{state}' is unknown (known: {string.Join(", ", TaskStates.All)})");
        var tasks = schedule.Entries.OrderBy(e => e.CreatedAt).ThenBy(e => e.TaskId, StringComparer.Ordinal).Select(TaskSummary.Of)
            .Where(t => wanted is null || t.State == wanted).ToArray();
        return TypedResults.Ok(Page<TaskSummary>.Of(tasks, offset, limit));
    }

    private static Results<Ok<TaskDetail>, ProblemHttpResult> Get(string taskId, TaskSchedule schedule) =>
        Find(taskId, schedule, out var entry) is { } problem ? problem : TypedResults.Ok(new TaskDetail(TaskSummary.Of(entry!), entry!.Spec));

    private static Results<Ok<Page<RoundRecord>>, ProblemHttpResult> ListRounds(string taskId, TaskSchedule schedule, int offset = 0, int limit = 100)
    {
        if ((Find(taskId, schedule, out var entry) ?? ApiProblems.BadPage(offset, limit)) is { } problem) return problem;
        return TypedResults.Ok(Page<RoundRecord>.Of(entry!.Rounds(), offset, limit));
    }

    private static Results<Ok<RoundRecord>, ProblemHttpResult> GetRound(string taskId, int round, TaskSchedule schedule)
    {
        if (Find(taskId, schedule, out var entry) is { } problem) return problem;
        if (round < 1) return ApiProblems.Problem(400, "round", $"round {round} is not a round number: rounds start at 1");
        return entry!.Rounds().FirstOrDefault(r => r.Round == round) is { } record ? TypedResults.Ok(record)
            : ApiProblems.NotFound("round", $"task '{taskId}' has no round {round} (last started: {entry.LastStartedRound})");
    }

    private static async Task<Results<Ok<TaskSummary>, ProblemHttpResult>> CancelAsync(string taskId, TaskSchedule schedule, IBus bus, CommandSigning signing,
        TimeProvider clock, ILogger<TaskSchedule> logger)
    {
        if ((Find(taskId, schedule, out var entry) ?? Ended(entry!)) is { } problem) return problem;
        await TaskCompletion.PublishAsync(bus, entry!, taskId, entry!.RoundsEnded, entry.Model ?? new TaskModelState(0, null), TaskCompletion.CancelledByOperator,
            signing, clock, logger);
        return TypedResults.Ok(TaskSummary.Of(entry));
    }

    private static async Task<Results<Ok<TaskSummary>, ProblemHttpResult>> PauseAsync(string taskId, TaskSchedule schedule, CancellationToken cancellationToken)
    {
        if ((Find(taskId, schedule, out var entry) ?? Ended(entry!)) is { } problem) return problem;
        entry!.Pause();
        await entry.SaveAsync(cancellationToken);
        return TypedResults.Ok(TaskSummary.Of(entry));
    }

    private static async Task<Results<Ok<TaskSummary>, ProblemHttpResult>> ResumeAsync(string taskId, TaskSchedule schedule, HeldRoundRelease held,
        CancellationToken cancellationToken)
    {
        if ((Find(taskId, schedule, out var entry) ?? Ended(entry!)) is { } problem) return problem;
        entry!.Resume();
        await entry.SaveAsync(cancellationToken);
        held.Release(entry);
        return TypedResults.Ok(TaskSummary.Of(entry));
    }

    private static ProblemHttpResult? Find(string taskId, TaskSchedule schedule, out TaskSchedule.Entry? entry)
    {
        entry = null;
        if (ApiProblems.BadId("taskId", taskId) is { } bad) return bad;
        entry = schedule.Find(taskId);
        return entry is null ? ApiProblems.NotFound("taskId", $"task '{taskId}' is not known to the selector (created tasks appear once their TaskCreated arrives)") : null;
    }

    private static ProblemHttpResult? Ended(TaskSchedule.Entry entry) =>
        entry.IsCompleted ? ApiProblems.Problem(409, "taskId", $"task '{entry.TaskId}' has ended: {entry.Completion?.Reason ?? "completed"}") : null;
}
