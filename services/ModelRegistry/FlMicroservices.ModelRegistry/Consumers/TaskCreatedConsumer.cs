using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.ModelRegistry.Consumers;

/// <summary>Stores and publishes the initial model (version 0) of a new task the registry signed.</summary>
public sealed class TaskCreatedConsumer(ModelPublisher publisher, CommandSigning signing, ILogger<TaskCreatedConsumer> logger) : IConsumer<TaskCreated>
{
    public Task Consume(ConsumeContext<TaskCreated> context) =>
        signing.Refuses(context.Message, logger) ? Task.CompletedTask : publisher.CreateInitialAsync(context.Message, context, context.CancellationToken);
}
