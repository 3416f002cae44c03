using FlMicroservices.Contracts.V1;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Registry.Consumers;

/// <summary>Accepts a valid task (publishing <see cref="TaskCreated"/>) or refuses it with every problem named.</summary>
public sealed class CreateTaskConsumer(TaskCatalog catalog, IOptions<TaskLimits> limits, TimeProvider clock, ILogger<CreateTaskConsumer> logger)
    : IConsumer<CreateTask>
{
    public async Task Consume(ConsumeContext<CreateTask> context)
    {
        var request = context.Message;
        var problems = TaskSpecValidator.Validate(request.TaskId, request.Spec, limits.Value).ToList();
        var now = clock.GetUtcNow();
        if (problems.Count == 0 && !await catalog.TryAddAsync(request.TaskId, request.Spec, now, context.CancellationToken))
            problems.Add($"TaskId '{request.TaskId}' already exists");
        if (problems.Count > 0)
        {
            var reason = string.Join("; ", problems);
            logger.LogWarning("Task {TaskId} rejected: {Reason}", request.TaskId, reason);
            await context.Publish(new TaskRejected(request.TaskId, reason, clock.GetUtcNow()));
            return;
        }
        logger.LogInformation("Task {TaskId} created: {Model}, {Rounds} rounds", request.TaskId, request.Spec.ModelName, request.Spec.Rounds);
        await context.Publish(new TaskCreated(request.TaskId, request.Spec, now));
    }
}
