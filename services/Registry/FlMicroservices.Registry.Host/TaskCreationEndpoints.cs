using System.Text.Json;
using System.Text.RegularExpressions;
using FlMicroservices.Contracts.V1;
using FlMicroservices.ServiceDefaults.Api;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Registry.Host;

/// <summary>POST /api/tasks: the registry's half of the task API (the selector serves reading and operating tasks; docs/operator-api.md).</summary>
public static partial class TaskCreationEndpoints
{
    public static RouteGroupBuilder MapTaskCreation(this IEndpointRouteBuilder app)
    {
        var operate = app.MapGroup("/api/tasks").WithTags("Tasks");
        operate.MapPost("/", CreateAsync).WithName("CreateTask")
            .WithSummary("Validates a task like the bus's CreateTask, stores it and publishes TaskCreated; 400 names the setting at fault, 409 a taken id.")
            .Accepts<CreateTask>("application/json");
        return operate;
    }

    private static async Task<Results<Created<TaskCreated>, ProblemHttpResult>> CreateAsync(HttpRequest request, TaskCreation creation,
        IPublishEndpoint publish, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        CreateTask? body;
        try { body = await request.ReadFromJsonAsync<CreateTask>(json.Value.SerializerOptions, cancellationToken); }
        catch (JsonException e) { return ApiProblems.Problem(400, e.Path is { Length: > 2 } path ? path[2..] : "body", $"the body is not a task request: {e.Message}"); }
        catch (InvalidOperationException e) { return ApiProblems.Problem(415, "body", e.Message); } // not JSON content
        if (body is null) return ApiProblems.Problem(400, "body", "the body must be a JSON object with taskId and spec");
        if (body.TaskId is null) return ApiProblems.Problem(400, "taskId", "taskId is required");
        var result = await creation.TryCreateAsync(body.TaskId, body.Spec, cancellationToken);
        if (result.Created is not { } created)
            return ApiProblems.Problem(result.Duplicate ? 409 : 400, FieldOf(result.Problems[0]), string.Join("; ", result.Problems), result.Problems);
        await publish.Publish(created, cancellationToken);
        return TypedResults.Created($"/api/tasks/{created.TaskId}", created);
    }

    /// <summary>The request field a validator problem names ("Training.LearningRate 0 must ..." is spec.training.learningRate).</summary>
    public static string FieldOf(string problem)
    {
        var match = LeadingName().Match(problem ?? "");
        if (!match.Success) return "spec";
        var path = string.Join('.', match.Value.Split('.').Select(p => char.ToLowerInvariant(p[0]) + p[1..]));
        return path is "taskId" or "spec" ? path : "spec." + path;
    }

    [GeneratedRegex(@"^[A-Z][A-Za-z0-9]*(\.[A-Z][A-Za-z0-9]*)*(?=[\s:,]|$)")]
    private static partial Regex LeadingName();
}
