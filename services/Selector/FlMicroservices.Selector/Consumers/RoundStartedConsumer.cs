using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Selector.Consumers;

/// <summary>Arms the watchdog of every round the selector started.</summary>
public sealed class RoundStartedConsumer(RoundWatchdog watchdog) : IConsumer<RoundStarted>
{
    public Task Consume(ConsumeContext<RoundStarted> context)
    {
        watchdog.Arm(context.Message);
        return Task.CompletedTask;
    }
}
