using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.ModelRegistry.Consumers;

/// <summary>Stores and publishes a new task's initial model (version 0).</summary>
public sealed class TaskCreatedConsumer(ModelPublisher publisher) : IConsumer<TaskCreated>
{
    public Task Consume(ConsumeContext<TaskCreated> context) => publisher.CreateInitialAsync(context.Message, context, context.CancellationToken);
}
