using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Dashboard.Consumers;

/// <summary>Pushes each RoundCompleted the model registry signed to the open pages; a forged one would show made-up accuracy, contributors or rejections.</summary>
public sealed class RoundCompletedConsumer(LiveEvents live, CommandSigning signing, ILogger<RoundCompletedConsumer> logger) : IConsumer<RoundCompleted>
{
    public Task Consume(ConsumeContext<RoundCompleted> context) =>
        signing.Refuses(context.Message, logger) ? Task.CompletedTask : live.PublishAsync(context.Message.TaskId, context.Message);
}
