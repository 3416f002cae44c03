using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Selector.Consumers;

/// <summary>Starts round 1 when a task's initial model (round 0) is in the model registry, as the model registry signed it.</summary>
public sealed class InitialModelPublishedConsumer(RoundStarter starter, CommandSigning signing, ILogger<InitialModelPublishedConsumer> logger)
    : IConsumer<ModelVersionPublished>
{
    public Task Consume(ConsumeContext<ModelVersionPublished> context)
    {
        var published = context.Message;
        if (published.Round != 0 || signing.Refuses(published, logger)) return Task.CompletedTask;
        return starter.StartNextAsync(context, published.TaskId, 1,
            new TaskModelState(published.Version, published.Accuracy, published.Accuracy is null ? null : published.Version, published.Accuracy), context.CancellationToken);
    }
}
