using System.Text.Json;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;

namespace FlMicroservices.Edge.Consumers;

/// <summary>Pushes a secure-aggregation message to the node that hosts its recipient (no other node sees it), once the aggregation's signature checks out.</summary>
/// <remarks>Nodes behind the edge hold no broker account folder, so the edge checks the signed message on their behalf (docs/edge.md).</remarks>
public sealed class SecAggServerMessageConsumer(PushChannels channels, Enrolments enrolments, CommandSigning signing) : IConsumer<SecAggServerMessage>
{
    public async Task Consume(ConsumeContext<SecAggServerMessage> context)
    {
        var message = context.Message;
        if (enrolments.OwnerOf(message.RecipientClientId) is not { } node) return;
        if (signing.Problem(message) is { } refused)
        {
            await enrolments.RecordRefusalAsync(node, $"SecAggServerMessage {message.TaskId}/{message.Round} for {message.RecipientClientId}", refused,
                context.CancellationToken);
            return;
        }
        channels.Send(node, new PushEvent(EdgeApi.SecAggServerEvent, JsonSerializer.Serialize(message, EdgeJson.Options)));
    }
}
