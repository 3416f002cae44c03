using FlMicroservices.Contracts.V1;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Registry.Consumers;

/// <summary>Accepts a valid task (publishing <see cref="TaskCreated"/>) or refuses it with every problem named.</summary>
public sealed class CreateTaskConsumer(TaskCreation creation, TimeProvider clock, ILogger<CreateTaskConsumer> logger) : IConsumer<CreateTask>
{
    public async Task Consume(ConsumeContext<CreateTask> context)
    {
        var request = context.Message;
        var result = await creation.TryCreateAsync(request.TaskId, request.Spec, context.CancellationToken);
        if (result.Created is not { } created)
        {
            var reason = string.Join("; ", result.Problems);
            logger.LogWarning("Task {TaskId} rejected: {Reason}", request.TaskId, reason);
            await context.Publish(new TaskRejected(request.TaskId, reason, clock.GetUtcNow()));
            return;
        }
        logger.LogInformation("Task {TaskId} created: {Model}, {Rounds} rounds", request.TaskId, request.Spec.ModelName, request.Spec.Rounds);
        await context.Publish(created);
    }
}
