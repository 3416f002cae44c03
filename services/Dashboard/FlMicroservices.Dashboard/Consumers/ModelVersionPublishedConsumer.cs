using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Dashboard.Consumers;

/// <summary>Pushes each ModelVersionPublished the model registry signed to the open pages; a forged one would show a version the registry never stored.</summary>
public sealed class ModelVersionPublishedConsumer(LiveEvents live, CommandSigning signing, ILogger<ModelVersionPublishedConsumer> logger) : IConsumer<ModelVersionPublished>
{
    public Task Consume(ConsumeContext<ModelVersionPublished> context) =>
        signing.Refuses(context.Message, logger) ? Task.CompletedTask : live.PublishAsync(context.Message.TaskId, context.Message);
}
