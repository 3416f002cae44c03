using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Selector.Consumers;

/// <summary>Starts round 1 when a task's initial model (round 0) is in the model registry.</summary>
public sealed class InitialModelPublishedConsumer(RoundStarter starter) : IConsumer<ModelVersionPublished>
{
    public Task Consume(ConsumeContext<ModelVersionPublished> context)
    {
        var published = context.Message;
        if (published.Round != 0) return Task.CompletedTask;
        return starter.StartNextAsync(context, published.TaskId, 1,
            new TaskModelState(published.Version, published.Accuracy, published.Accuracy is null ? null : published.Version, published.Accuracy), context.CancellationToken);
    }
}
