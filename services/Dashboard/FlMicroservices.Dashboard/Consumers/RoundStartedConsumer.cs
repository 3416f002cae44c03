using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Dashboard.Consumers;

/// <summary>Pushes each RoundStarted the selector signed to the open pages; a forged one would show a round (its participants, its privacy) that never ran.</summary>
public sealed class RoundStartedConsumer(LiveEvents live, CommandSigning signing, ILogger<RoundStartedConsumer> logger) : IConsumer<RoundStarted>
{
    public Task Consume(ConsumeContext<RoundStarted> context) =>
        signing.Refuses(context.Message, logger) ? Task.CompletedTask : live.PublishAsync(context.Message.TaskId, context.Message);
}
