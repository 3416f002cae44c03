using System.Text.Json;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Edge.Consumers;

/// <summary>Pushes a round assignment to every connected node that hosts one of its participants.</summary>
public sealed class RoundStartedConsumer(OpenRounds rounds, PushChannels channels, Enrolments enrolments) : IConsumer<RoundStarted>
{
    public Task Consume(ConsumeContext<RoundStarted> context)
    {
        var round = context.Message;
        rounds.Add(round);
        var json = JsonSerializer.Serialize(round, EdgeJson.Options);
        foreach (var node in round.Participants.Select(enrolments.OwnerOf).OfType<string>().Distinct(StringComparer.Ordinal))
            channels.Send(node, new PushEvent(EdgeApi.RoundStartedEvent, json));
        return Task.CompletedTask;
    }
}
