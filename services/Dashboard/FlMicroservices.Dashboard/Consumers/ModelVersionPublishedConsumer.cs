using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Dashboard.Consumers;

/// <summary>Pushes each ModelVersionPublished to the open pages.</summary>
public sealed class ModelVersionPublishedConsumer(LiveEvents live) : IConsumer<ModelVersionPublished>
{
    public Task Consume(ConsumeContext<ModelVersionPublished> context) => live.PublishAsync(context.Message.TaskId, context.Message);
}
