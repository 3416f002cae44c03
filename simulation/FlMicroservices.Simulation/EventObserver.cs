using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Simulation;

/// <summary>Subscribes to the platform's events as an outside system would, and logs them.</summary>
public sealed class EventObserver(EventLog log) :
    IConsumer<TaskCreated>, IConsumer<TaskRejected>, IConsumer<TaskCompleted>,
    IConsumer<ClientRegistered>, IConsumer<ClientRejected>,
    IConsumer<RoundStarted>, IConsumer<UpdateSubmitted>, IConsumer<UpdateDeclined>, IConsumer<RoundAggregated>,
    IConsumer<ModelVersionPublished>, IConsumer<RoundCompleted>,
    IConsumer<PrivacyBudgetUpdated>, IConsumer<PrivacyBudgetExhausted>, IConsumer<RewardsIssued>
{
    public Task Consume(ConsumeContext<TaskCreated> context) => Record(context.Message);
    public Task Consume(ConsumeContext<TaskRejected> context) => Record(context.Message);
    public Task Consume(ConsumeContext<TaskCompleted> context) => Record(context.Message);
    public Task Consume(ConsumeContext<ClientRegistered> context) => Record(context.Message);
    public Task Consume(ConsumeContext<ClientRejected> context) => Record(context.Message);
    public Task Consume(ConsumeContext<RoundStarted> context) => Record(context.Message);
    public Task Consume(ConsumeContext<UpdateSubmitted> context) => Record(context.Message);
    public Task Consume(ConsumeContext<UpdateDeclined> context) => Record(context.Message);
    public Task Consume(ConsumeContext<RoundAggregated> context) => Record(context.Message);
    public Task Consume(ConsumeContext<ModelVersionPublished> context) => Record(context.Message);
    public Task Consume(ConsumeContext<RoundCompleted> context) => Record(context.Message);
    public Task Consume(ConsumeContext<PrivacyBudgetUpdated> context) => Record(context.Message);
    public Task Consume(ConsumeContext<PrivacyBudgetExhausted> context) => Record(context.Message);
    public Task Consume(ConsumeContext<RewardsIssued> context) => Record(context.Message);

    private Task Record(object message)
    {
        log.Add(message);
        return Task.CompletedTask;
    }
}

/// <summary>Keeps the observer to one message at a time, so the log keeps the order events were published in.</summary>
public sealed class EventObserverDefinition : ConsumerDefinition<EventObserver>
{
    public EventObserverDefinition()
    {
        EndpointName = "fl-simulation-observer";
        ConcurrentMessageLimit = 1;
    }
}
