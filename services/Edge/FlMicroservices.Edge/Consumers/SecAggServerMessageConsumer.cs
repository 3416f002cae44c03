using System.Text.Json;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Edge.Consumers;

/// <summary>Pushes a secure-aggregation message to the node that hosts its recipient (no other node sees it).</summary>
public sealed class SecAggServerMessageConsumer(PushChannels channels, Enrolments enrolments) : IConsumer<SecAggServerMessage>
{
    public Task Consume(ConsumeContext<SecAggServerMessage> context)
    {
        if (enrolments.OwnerOf(context.Message.RecipientClientId) is { } node)
            channels.Send(node, new PushEvent(EdgeApi.SecAggServerEvent, JsonSerializer.Serialize(context.Message, EdgeJson.Options)));
        return Task.CompletedTask;
    }
}
